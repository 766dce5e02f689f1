"""Random PyTorch programs and a differential runner against the runtime probe (see __main__)."""

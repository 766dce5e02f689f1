# A weight made on the CPU with requires_grad=True and then moved: the copy is not a leaf.
import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
w = torch.randn(3, 3, requires_grad=True).to(device)
x = torch.randn(2, 3, device=device)
loss = (x @ w).pow(2).sum()
loss.backward()
print(w.grad)

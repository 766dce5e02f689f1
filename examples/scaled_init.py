# Scaling a fresh leaf makes a non-leaf: its .grad stays None and optimizers refuse it.
import torch

w = torch.randn(4, 2, requires_grad=True) * 0.01
b = torch.zeros(2, requires_grad=True)
x = torch.randn(8, 4)
loss = (x @ w + b).relu().mean()
loss.backward()
print(w.grad, b.grad)

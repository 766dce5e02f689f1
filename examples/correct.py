# Correct code: gradients of leaves, and a retained intermediate.
import torch

x = torch.randn(3, requires_grad=True)
h = x * 2
h.retain_grad()
loss = (h ** 2).sum()
loss.backward()
print(x.grad, h.grad)

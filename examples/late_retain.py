# retain_grad() after backward() is too late: the gradient of the hidden layer is silently None.
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
x = torch.randn(16, 4)
hidden = model[0](x)
out = model[2](model[1](hidden))
out.mean().backward()
hidden.retain_grad()
print(hidden.grad)

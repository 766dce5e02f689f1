# The bug from the original report: y is computed from x, so backward() leaves y.grad None.
import torch

x = torch.tensor(2.0, requires_grad=True)
y = x * 3
z = y * 4
z.backward()
print(y.grad)

"""Why a tensor is not a leaf, in words: the analysis records facts and source text (values.Why),
the rules say them."""
from __future__ import annotations

from ..analysis.values import Event, Why

SAYINGS = {
    Event.COMPUTED: "`{code}` on line {line} computed it",
    Event.IN_PLACE: "`{code}` on line {line} made it part of the graph",
    Event.WRITTEN_INTO: "writing into `{code}` on line {line} made it part of the graph",
    Event.COPIED: "`{code}` on line {line} copied it",
    Event.WRAPPED: "`{code}` on line {line} wrapped it",
    Event.GPU_COPY: "`{code}` on line {line} copies it when the device is a GPU",
    Event.REPARAMETRIZED: "`{code}()` on line {line} made {name} a computed tensor",
    Event.RECOMPUTED: "`{code}()` on line {other_line} made {name} a tensor computed at each forward; "
                      "`{call}` on line {line} computed it",
    Event.GRAPH_GRAD: "`{code}.grad` on line {line} is the gradient `backward(create_graph=True)` on line "
                      "{other_line} computed with its graph",
}


def describe(why: Why) -> str:
    """The reason as a clause: "`x * 3` on line 2 computed it"."""
    if why.event is Event.MODULE_OUTPUT:
        call = f"`{why.name}` in `{why.code}`" if why.name else f"`{why.code}`"
        text = f"{call} on line {why.line} is the output of a module with parameters"
    else:
        text = SAYINGS[why.event].format(code=why.code, line=why.line, name=why.name, other_line=why.other_line,
                                         call=why.call)
    if why.module:  # made in another module of the project: its lines are that module's
        named = text.replace(f" on line {why.line}", f" in {why.module} line {why.line}", 1)
        text = named if named != text else f"{text} (in {why.module})"
    if why.then_requires_grad:
        text += f"; `requires_grad_()` on line {why.then_requires_grad} does not make a non-leaf a leaf"
    return text

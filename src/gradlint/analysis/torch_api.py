"""What gradlint knows about torch's API, as data: ONE table of specs (`SPECS`), a kind and its
attributes for each fully qualified name.

Functions and classes are keyed by their qualified name (`torch.randn`, `torch.nn.Linear`), tensor
methods and attributes by `torch.Tensor.<name>`, module methods by `torch.nn.Module.<name>`. A name
has exactly one spec (`_declare` refuses a second); the interpreter dispatches on the kind
(torch_calls.py) and holds no torch knowledge of its own. A few names are families, matched by
prefix or pattern (`PREFIXES`, `is_optimizer`).
Facts behind each entry: ../shared/autograd-facts.md (checked against torch 2.13).

Adding a function that keeps leaf status is one entry: see "Contributing" in the README.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Tuple, Union


class Kind(enum.Enum):
    """What a call (or an attribute) does to autograd state. Each kind has one handler."""

    # torch functions and classes
    FACTORY = "a fresh leaf; requires grad only with a literal requires_grad=True"
    LEGACY_TENSOR = "legacy constructor: a fresh CPU leaf without grad of the type's dtype"
    PARAMETER = "a leaf made of any tensor (requires grad unless requires_grad=False)"
    UNINITIALIZED_PARAMETER = "a lazy parameter (not followed; may be frozen)"
    VARIABLE = "legacy wrapper: a leaf only with requires_grad=True"
    DTYPE = "a dtype object"
    DEVICE = "torch.device(...)"
    GRAD_MODE = "a grad-mode context or decorator"
    SET_GRAD_ENABLED = "torch.set_grad_enabled(mode)"
    DEFAULT_CHANGER = "changes the default dtype or device"
    AUTOCAST = "a context in which ops may compute in a lower precision (mixed precision)"
    NONDIFFERENTIABLE = "the result never requires grad"
    DIFFERENTIABLE = "the result requires grad when an input does"
    MAYBE_IDENTITY = "returns its input itself in some cases, else a copy"
    RETURNS_ARGUMENT = "returns its first argument (compiled, scripted, initialised in place)"
    BACKWARD = "a backward pass"
    OPTIMIZER = "its params must be leaves"
    REPARAMETRIZATION = "after f(module, name), module.<name> is computed (see Recompute)"
    REPARAMETRIZATION_REMOVAL = "after f(module, name), module.<name> is a parameter again (not followed: unknown)"
    UNMODELLED = "known, not followed: an unknown result"
    VECTORIZER = "a fresh non-leaf built from its tensor arguments"
    # torch.nn modules (constructors, and what calling an instance gives)
    MODULE_BASE = "torch.nn.Module itself"
    MODULE_WITH_PARAMETERS = "a layer with parameters: its output is a non-leaf in grad mode"
    PARAMETER_FREE_MODULE = "a layer without parameters: differentiable in its input"
    IDENTITY_MODULE = "returns its input"
    MAYBE_IDENTITY_MODULE = "returns its input or a copy (dropout)"
    SEQUENTIAL = "runs its children in order"
    MODULE_CONTAINER = "behaves as a list or dict of modules"
    WRAPPER_MODULE = "wraps its first argument, a module: calling it calls that module"
    GLOBAL_FORWARD_HOOK = "a hook on every module's output"
    # tensor methods
    RETAIN_GRAD = "retain_grad()"
    REGISTER_HOOK = "a tensor hook (not followed)"
    REQUIRES_GRAD_METHOD = "requires_grad_(flag)"
    DETACH_IN_PLACE = "detaches the tensor itself"
    DETACHING = "a detached leaf without grad"
    MOVE = "a device or dtype copy (a non-leaf if the source requires grad) unless nothing changes"
    NON_FLOAT = "a conversion to an integer or bool dtype: never requires grad"
    NEW_TENSOR = "x.new_zeros(...): a fresh leaf, requires grad only if asked"
    WRAP = "a copy as a subclass"
    IN_PLACE = "the same object; a plain tensor absorbing a requires-grad value becomes a non-leaf"
    # tensor attributes
    GRAD_ATTRIBUTE = ".grad"
    REQUIRES_GRAD_ATTRIBUTE = ".requires_grad (written: proves a leaf)"
    LEAF_TEST_ATTRIBUTE = "a test of leaf status (`x.is_leaf and x.grad`)"
    NONTENSOR_ATTRIBUTE = "not a tensor that requires grad"
    DETACHED_ATTRIBUTE = ".data: a detached leaf without grad"
    SELF_ATTRIBUTE = ".real of a real tensor is the tensor itself (else a view)"
    VIEW_ATTRIBUTE = "a view of the tensor"
    DEVICE_ATTRIBUTE = ".device"
    DTYPE_ATTRIBUTE = ".dtype"
    # module methods
    MODULE_CALL = "runs the module"
    MODULE_SELF = "returns the module itself, converted in place (parameters stay leaves)"
    PARAMETER_ITERATOR = "yields parameters (leaves)"
    NAMED_PARAMETER_ITERATOR = "yields (name, parameter) pairs"
    CHILD_APPEND = "adds a child to an nn.Sequential"
    CHILD_ITERATOR = "yields an nn.Sequential's children, each module once (named: (name, child) pairs)"
    CHILDREN_CHANGE = "changes an nn.Sequential's children in ways not followed"
    FORWARD_HOOK_REGISTRATION = "registers a forward hook (it may retain the module's outputs)"
    TRAINING_FLAG = "module.training: True from construction, set by train()/eval() (on all submodules)"
    PARAMETER_SLOTS = "the dict of a layer's parameters: a tensor stored there is yielded as one"
    # the standard library
    CHAIN = "combines iterables"
    NAMED_TUPLE_FACTORY = "collections.namedtuple"
    BUILTIN_CONTAINER = "made as the builtin container its spec names (`OrderedDict` as `dict`)"
    NAMED_TUPLE_BASE = "typing.NamedTuple"
    NAMESPACE_CLASS = "an object whose attributes are its keyword arguments"
    DATACLASS_DECORATOR = "a generated __init__ storing each field"
    TRANSPARENT_DECORATOR = "keeps a function's behaviour"


class DefaultDtype(enum.Enum):
    """A factory's dtype when no dtype= is given (and the defaults are not changed)."""

    FLOAT = "float32"
    FROM_VALUE = "float32 when the data is a float (a literal in it, or a known float)"
    FROM_DATA = "float32 when a float literal is in the data"
    FLOAT_UNLESS_FLOAT_DATA = "float32 unless a float literal is in the first argument"
    UNKNOWN = "not known"


class Result(enum.Enum):
    """The container a differentiable op's result comes in."""

    TENSOR = "a tensor"
    PIECES = "a tuple of tensors, all derived from the input"
    PAIR_WITH_DIM = "a (values, indices) pair when given a dimension"
    PAIR = "always a (values, indices) pair"


class Recompute(enum.Enum):
    """When a reparametrization computes `module.<name>` (checked against torch 2.13)."""

    AT_CALL_AND_FORWARD = "computed by the call, and again by a forward pre-hook before each forward, in the grad mode then"
    AT_FORWARD = "the parameter's .data (a leaf without grad) until the first forward, then as above"
    ON_READ = "computed anew at every read, in the grad mode of the read"


Structure = Tuple[Union[str, "Structure"], ...]


@dataclass(frozen=True)
class Spec:
    kind: Kind
    dtype: Optional[str] = None  # LEGACY_TENSOR, DTYPE, MOVE, MODULE_SELF: the dtype
    as_dtype: bool = False  # LEGACY_TENSOR: also accepted where a dtype is (`x.type(torch.DoubleTensor)`)
    device: Optional[str] = None  # MOVE: the device
    dtype_argument: bool = False  # MOVE, MODULE_SELF: its argument is the dtype (`x.type(torch.float64)`)
    keeps_dtype: bool = False  # MODULE_SELF: the parameters keep their dtype
    like: bool = False  # FACTORY: `*_like`, placed as its first argument
    default_dtype: DefaultDtype = DefaultDtype.UNKNOWN  # FACTORY
    array_dtype: bool = False  # FACTORY: made of a numpy array, it has the array's dtype (whatever the default)
    maybe_identity: bool = False  # returns its first argument itself when that is a tensor (in some cases)
    view: Optional[bool] = False  # DIFFERENTIABLE, VIEW_ATTRIBUTE: True a view, None maybe a view
    result: Result = Result.TENSOR  # DIFFERENTIABLE
    identity_when_fresh: bool = False  # returns `self` when the layout already matches (fresh tensors)
    number: bool = False  # NONDIFFERENTIABLE methods: a Python number or bool, not a tensor
    grad: Optional[bool] = None  # GRAD_MODE: grad enabled inside
    mode_argument: bool = False  # GRAD_MODE: a `mode` argument other than True turns it off
    transparent: bool = False  # a decorator that keeps the function's behaviour
    structure: Optional[Structure] = None  # MODULE_WITH_PARAMETERS: a tuple tree of "t" tensors, "?" unknown
    container: str = "list"  # MODULE_CONTAINER, BUILTIN_CONTAINER: "list" or "dict"
    attribute: Optional[str] = None  # REPARAMETRIZATION: the attribute made a non-leaf (None: the 2nd argument);
    # WRAPPER_MODULE: the attribute holding the wrapped module
    recompute: Recompute = Recompute.AT_CALL_AND_FORWARD  # REPARAMETRIZATION
    originals: str = "{name}_orig"  # REPARAMETRIZATION: the leaves holding the gradient instead
    returns_self: bool = False  # CHILD_APPEND
    named: bool = False  # CHILD_ITERATOR: yields (name, child) pairs
    training: Optional[bool] = None  # MODULE_SELF: the training flag it sets (with mode_argument: unless mode=False)
    any_mode: bool = False  # MODULE_SELF: runs code on every submodule that may set their training flags


TENSOR = "torch.Tensor"  # tensor methods and attributes: TENSOR + "." + name
MODULE = "torch.nn.Module"  # module methods: MODULE + "." + name
NN = "torch.nn."
_TORCH = "torch."
SPECS: Dict[str, Spec] = {}


def _declare(names: Union[str, List[str]], spec: Spec, prefix: str = "") -> None:
    for name in names.split() if isinstance(names, str) else names:
        key = prefix + name
        if key in SPECS:
            raise ValueError(f"{key} has two specs: {SPECS[key].kind.name} and {spec.kind.name}")
        SPECS[key] = spec


def _tensor(names, spec: Spec) -> None:
    _declare(names, spec, TENSOR + ".")


def _module(names, spec: Spec) -> None:
    _declare(names, spec, MODULE + ".")


# ------------------------------------------------------------------ shared name lists
_VIEWS = frozenset("""view view_as unsqueeze squeeze t transpose permute expand expand_as narrow select diagonal
unflatten movedim moveaxis swapaxes swapdims as_strided unfold split chunk unbind tensor_split hsplit vsplit
dsplit split_with_sizes unsafe_split unsafe_chunk""".split())
_MAYBE_VIEWS = frozenset("reshape reshape_as flatten ravel contiguous".split())
_PIECES = frozenset("split chunk unbind tensor_split hsplit vsplit dsplit unsafe_split unsafe_chunk "
                    "split_with_sizes".split())
_PAIRS_WITH_DIM = frozenset("max min median nanmedian".split())
_PAIRS = frozenset("sort topk kthvalue mode cummax cummin".split())


def _op(kind: Kind, short: str, **attributes) -> Spec:
    """A differentiable op's spec: its view and result attributes follow from its short name."""
    view = True if short in _VIEWS else (None if short in _MAYBE_VIEWS else False)
    result = Result.PIECES if short in _PIECES else Result.PAIR if short in _PAIRS else \
        Result.PAIR_WITH_DIM if short in _PAIRS_WITH_DIM else Result.TENSOR
    return Spec(kind, view=view, result=result, **attributes)


def _ops(kind: Kind, names: str, prefix: str, **attributes) -> None:
    for short in names.split():
        _declare([short], _op(kind, short, **attributes), prefix)


# ------------------------------------------------------------------ factories and constructors
_FLOAT = "randn rand empty normal linspace logspace randn_like rand_like"
for _name in """tensor randn rand zeros ones empty full arange linspace logspace eye randint randperm normal
        empty_strided tril_indices triu_indices complex polar as_strided_scatter zeros_like ones_like
        empty_like full_like rand_like randn_like randint_like from_numpy asarray as_tensor frombuffer""".split():
    _declare([_TORCH + _name], Spec(
        Kind.FACTORY, like=_name.endswith("_like"), maybe_identity=_name in ("as_tensor", "asarray"),
        array_dtype=_name in ("tensor", "from_numpy", "as_tensor", "asarray"),
        default_dtype=DefaultDtype.FLOAT if _name in _FLOAT.split() or _name == "full"
        else DefaultDtype.FROM_VALUE if _name == "tensor" else DefaultDtype.FROM_DATA if _name == "arange"
        else DefaultDtype.FLOAT_UNLESS_FLOAT_DATA if _name in ("zeros", "ones", "eye")
        else DefaultDtype.UNKNOWN))
for _name, _dtype in (("Tensor", "float32"), ("FloatTensor", "float32"), ("DoubleTensor", "float64"),
                      ("HalfTensor", "float16"), ("BFloat16Tensor", "bfloat16"), ("LongTensor", "int64"),
                      ("IntTensor", "int32"), ("ShortTensor", "int16"), ("CharTensor", "int8"),
                      ("ByteTensor", "uint8"), ("BoolTensor", "bool")):
    _declare([_TORCH + _name], Spec(Kind.LEGACY_TENSOR, dtype=_dtype,
                                    as_dtype=_name in ("FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor")))
_declare("torch.nn.Parameter torch.nn.parameter.Parameter", Spec(Kind.PARAMETER))
_declare("torch.nn.UninitializedParameter torch.nn.parameter.UninitializedParameter",
         Spec(Kind.UNINITIALIZED_PARAMETER))
_declare("torch.autograd.Variable torch.autograd.variable.Variable", Spec(Kind.VARIABLE))
for _name, _dtype in (("float64", "float64"), ("double", "float64"), ("float32", "float32"), ("float", "float32"),
                      ("float16", "float16"), ("half", "float16"), ("bfloat16", "bfloat16"), ("int64", "int64"),
                      ("long", "int64"), ("int32", "int32"), ("int", "int32"), ("bool", "bool"), ("uint8", "uint8"),
                      ("complex64", "complex64"), ("cfloat", "complex64"), ("complex128", "complex128"),
                      ("cdouble", "complex128")):
    _declare([_TORCH + _name], Spec(Kind.DTYPE, dtype=_dtype))
FLOAT_DTYPES = frozenset({"float64", "float32", "float16", "bfloat16", "complex64", "complex128"})
REAL_FLOAT_DTYPES = frozenset({"float32", "float64", "float16", "bfloat16"})
_declare("torch.device", Spec(Kind.DEVICE))

# ------------------------------------------------------------------ grad mode and defaults
_declare("torch.no_grad torch.autograd.no_grad torch.autograd.grad_mode.no_grad",
         Spec(Kind.GRAD_MODE, grad=False, transparent=True))
_declare("torch.inference_mode", Spec(Kind.GRAD_MODE, grad=False, mode_argument=True, transparent=True))
_declare("torch.enable_grad torch.autograd.enable_grad", Spec(Kind.GRAD_MODE, grad=True, transparent=True))
_declare("torch.set_grad_enabled torch.autograd.set_grad_enabled", Spec(Kind.SET_GRAD_ENABLED))
_declare("torch.set_default_dtype torch.set_default_device torch.set_default_tensor_type",
         Spec(Kind.DEFAULT_CHANGER))
_declare("torch.autocast torch.amp.autocast torch.cuda.amp.autocast torch.cpu.amp.autocast", Spec(Kind.AUTOCAST))

# ------------------------------------------------------------------ torch functions
_DIFFERENTIABLE = """abs absolute acos acosh add addbmm addcdiv addcmul addmm addmv addr amax amin
angle asin asinh atan atan2 atanh baddbmm bmm broadcast_to cat ceil cdist celu chunk clamp clamp_max
clamp_min clip clone column_stack concat concatenate conj contiguous conv1d conv2d conv3d cos cosh
cross cummax cummin cumprod cumsum deg2rad diag diag_embed diagonal diff digamma dist div divide dot
dsplit dstack einsum erf erfc erfinv exp exp2 expand expand_as expm1 fix flatten flip fliplr flipud
float_power floor floor_divide fmax fmin fmod frac gather hsplit hstack hypot i0 index_add
index_copy index_fill index_put index_select inner inverse kron kthvalue lerp lgamma log log10 log1p
log2 log_softmax logaddexp logaddexp2 logcumsumexp logdet logit logsumexp lu masked_fill
masked_scatter masked_select matmul matrix_exp matrix_power max maximum mean median min minimum mm
mode moveaxis movedim msort mul multiply mv mvlgamma nan_to_num nanmean nanmedian nanquantile
nansum narrow narrow_copy neg negative norm outer permute pinverse polygamma pow prod quantile
rad2deg ravel reciprocal relu remainder renorm repeat repeat_interleave reshape reshape_as resolve_conj
resolve_neg roll rot90 round rsqrt scatter scatter_add scatter_reduce select select_scatter sgn
sigmoid sign sin sinc sinh slice_scatter slogdet softmax sort split sqrt square squeeze stack std
std_mean sub subtract sum svd swapaxes swapdims t take take_along_dim tan tanh tensor_split tensordot
tile topk trace transpose trapezoid tril triu true_divide trunc unbind unflatten unfold unsqueeze
var var_mean vdot view view_as vsplit vstack where xlogy abs_ add_ addcdiv_ addcmul_ clamp_ copy_
div_ exp_ fill_ index_add_ masked_fill_ mul_ neg_ pow_ relu_ scatter_ scatter_add_ sigmoid_ sqrt_
sub_ tanh_ unsqueeze_ squeeze_ t_ transpose_ cholesky qr det logical_not_ aminmax
softplus square_ lerp_ sin_ cos_ log_ atleast_1d atleast_2d atleast_3d block_diag cartesian_prod
combinations cov corrcoef cumulative_trapezoid heaviside histogram frexp ldexp trapz
as_strided unsafe_split unsafe_chunk split_with_sizes chain_matmul addmm_ baddbmm_ mm_ pdist
triplet_margin_loss cosine_similarity pairwise_distance dropout layer_norm group_norm batch_norm
instance_norm embedding bilinear conv_transpose1d conv_transpose2d conv_transpose3d"""
# Ops that return their input itself in some cases (shape, mode, dtype or p dependent): the result
# is the input, or a non-leaf copy; never provably a non-leaf made from a leaf.
_MAYBE_IDENTITY_FUNCTIONS = frozenset("flatten atleast_1d atleast_2d atleast_3d conj resolve_conj resolve_neg "
                                      "dropout".split())
for _name in _DIFFERENTIABLE.split():
    _declare([_TORCH + _name], _op(Kind.DIFFERENTIABLE, _name, maybe_identity=_name in _MAYBE_IDENTITY_FUNCTIONS))
_ops(Kind.DIFFERENTIABLE, """norm vector_norm matrix_norm inv det slogdet svd svdvals eigh eigvalsh qr cholesky
    solve lstsq pinv matrix_exp matrix_power cross multi_dot vecdot""", "torch.linalg.")
_ops(Kind.DIFFERENTIABLE, "expit logit erf erfc xlogy softmax log_softmax", "torch.special.")
_declare("torch.alpha_dropout torch.feature_alpha_dropout", Spec(Kind.MAYBE_IDENTITY, maybe_identity=True))
_declare("""argmax argmin argsort argwhere nonzero eq ne lt le gt ge equal isnan isinf isfinite isclose allclose
    logical_and logical_or logical_not count_nonzero bincount histc unique searchsorted bucketize numel is_tensor
    is_floating_point result_type""", Spec(Kind.NONDIFFERENTIABLE), _TORCH)
_declare("torch.nn.functional.one_hot", Spec(Kind.NONDIFFERENTIABLE))
# torch.nn.functional: differentiable in their tensor arguments.
_F = "torch.nn.functional."
_MAYBE_IDENTITY_DROPOUTS = frozenset("dropout dropout1d dropout2d dropout3d alpha_dropout".split())
for _name in """relu relu6 gelu silu sigmoid tanh softmax log_softmax softmin linear bilinear conv1d
    conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d dropout dropout1d dropout2d
    dropout3d alpha_dropout layer_norm batch_norm group_norm instance_norm rms_norm local_response_norm
    mse_loss cross_entropy nll_loss l1_loss smooth_l1_loss huber_loss binary_cross_entropy
    binary_cross_entropy_with_logits kl_div poisson_nll_loss gaussian_nll_loss ctc_loss
    cosine_embedding_loss hinge_embedding_loss margin_ranking_loss multi_margin_loss
    multilabel_margin_loss multilabel_soft_margin_loss soft_margin_loss triplet_margin_loss
    triplet_margin_with_distance_loss normalize pad interpolate upsample max_pool1d max_pool2d
    max_pool3d avg_pool1d avg_pool2d avg_pool3d adaptive_avg_pool1d adaptive_avg_pool2d
    adaptive_avg_pool3d adaptive_max_pool1d adaptive_max_pool2d lp_pool2d embedding embedding_bag
    leaky_relu elu selu celu softplus softsign mish hardtanh hardswish hardsigmoid glu logsigmoid
    tanhshrink softshrink hardshrink threshold cosine_similarity pairwise_distance pdist
    scaled_dot_product_attention grid_sample affine_grid unfold fold pixel_shuffle pixel_unshuffle
    gumbel_softmax prelu rrelu""".split():
    _declare([_F + _name], _op(Kind.DIFFERENTIABLE, _name, maybe_identity=_name in _MAYBE_IDENTITY_DROPOUTS))
_declare([_F + "feature_alpha_dropout"], Spec(Kind.MAYBE_IDENTITY, maybe_identity=True))
_declare("torch.compile", Spec(Kind.RETURNS_ARGUMENT, transparent=True))
_declare("torch.jit.script torch.jit.trace", Spec(Kind.RETURNS_ARGUMENT))
_declare("torch.autograd.backward", Spec(Kind.BACKWARD))

# ------------------------------------------------------------------ torch.nn
_declare("torch.nn.Module torch.nn.modules.module.Module", Spec(Kind.MODULE_BASE))
_declare("""Linear Bilinear LazyLinear Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d
    ConvTranspose3d LazyConv1d LazyConv2d LazyConv3d Embedding EmbeddingBag BatchNorm1d BatchNorm2d
    BatchNorm3d SyncBatchNorm LayerNorm GroupNorm RMSNorm LocalResponseNorm RNNCell
    GRUCell Transformer TransformerEncoder TransformerDecoder
    TransformerEncoderLayer TransformerDecoderLayer PReLU""", Spec(Kind.MODULE_WITH_PARAMETERS), NN)
# Modules whose call returns a structure of outputs (all derived from parameters).
for _name, _structure in (("RNN", ("t", "t")), ("GRU", ("t", "t")), ("LSTM", ("t", ("t", "t"))),
                          ("LSTMCell", ("t", "t")), ("MultiheadAttention", ("t", "?"))):
    _declare([NN + _name], Spec(Kind.MODULE_WITH_PARAMETERS, structure=_structure))
_declare("""ReLU ReLU6 LeakyReLU GELU SiLU Sigmoid Tanh Softmax LogSoftmax Softmin Softplus ELU
    SELU CELU Mish Hardtanh Hardswish Hardsigmoid Flatten Unflatten MaxPool1d MaxPool2d MaxPool3d AvgPool1d
    AvgPool2d AvgPool3d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d AdaptiveMaxPool1d AdaptiveMaxPool2d
    AdaptiveMaxPool3d Upsample PixelShuffle PixelUnshuffle ZeroPad2d ConstantPad1d ConstantPad2d
    ConstantPad3d ReflectionPad1d ReflectionPad2d ReplicationPad1d ReplicationPad2d CosineSimilarity
    PairwiseDistance Threshold GLU LogSigmoid Tanhshrink Softsign Softshrink Hardshrink RReLU
    MSELoss L1Loss CrossEntropyLoss NLLLoss BCELoss BCEWithLogitsLoss SmoothL1Loss HuberLoss
    KLDivLoss CosineEmbeddingLoss MarginRankingLoss TripletMarginLoss HingeEmbeddingLoss
    MultiLabelSoftMarginLoss SoftMarginLoss MultiMarginLoss PoissonNLLLoss GaussianNLLLoss CTCLoss
    MultiLabelMarginLoss TripletMarginWithDistanceLoss""", Spec(Kind.PARAMETER_FREE_MODULE), NN)
_declare([NN + "Identity"], Spec(Kind.IDENTITY_MODULE))
_declare("Dropout Dropout1d Dropout2d Dropout3d AlphaDropout FeatureAlphaDropout",
         Spec(Kind.MAYBE_IDENTITY_MODULE), NN)
_declare([NN + "Sequential"], Spec(Kind.SEQUENTIAL))
_declare("ModuleList ParameterList", Spec(Kind.MODULE_CONTAINER, container="list"), NN)
_declare("ModuleDict ParameterDict", Spec(Kind.MODULE_CONTAINER, container="dict"), NN)
# DataParallel without GPUs calls the module itself; with GPUs it gathers the replicas' outputs
# (non-leaves whenever the module's output is one).
_declare("torch.nn.DataParallel torch.nn.parallel.DataParallel torch.nn.parallel.data_parallel.DataParallel",
         Spec(Kind.WRAPPER_MODULE, attribute="module"))
_declare("torch.nn.modules.module.register_module_forward_hook torch.nn.modules.register_module_forward_hook",
         Spec(Kind.GLOBAL_FORWARD_HOOK))
_PARAMETRIZED = "parametrizations.{name}.original"
_declare("torch.nn.utils.weight_norm", Spec(Kind.REPARAMETRIZATION, attribute="weight", originals="{name}_g and {name}_v"))
_declare("torch.nn.utils.spectral_norm",
         Spec(Kind.REPARAMETRIZATION, attribute="weight", recompute=Recompute.AT_FORWARD))
_declare("torch.nn.utils.parametrizations.weight_norm",
         Spec(Kind.REPARAMETRIZATION, attribute="weight", recompute=Recompute.ON_READ,
              originals=_PARAMETRIZED + "0 and " + _PARAMETRIZED + "1"))
_declare("torch.nn.utils.parametrizations.spectral_norm torch.nn.utils.parametrizations.orthogonal",
         Spec(Kind.REPARAMETRIZATION, attribute="weight", recompute=Recompute.ON_READ, originals=_PARAMETRIZED))
_declare("torch.nn.utils.parametrize.register_parametrization",
         Spec(Kind.REPARAMETRIZATION, recompute=Recompute.ON_READ, originals=_PARAMETRIZED))
_declare("torch.nn.utils.prune.is_pruned torch.nn.utils.prune.global_unstructured", Spec(Kind.UNMODELLED))
_declare("torch.nn.utils.prune.remove torch.nn.utils.parametrize.remove_parametrizations",
         Spec(Kind.REPARAMETRIZATION_REMOVAL))
_declare("torch.nn.utils.remove_weight_norm torch.nn.utils.remove_spectral_norm",
         Spec(Kind.REPARAMETRIZATION_REMOVAL, attribute="weight"))
_declare("torch.nn.utils.parameters_to_vector torch.nn.utils.convert_parameters.parameters_to_vector",
         Spec(Kind.VECTORIZER))

# ------------------------------------------------------------------ tensor methods
_tensor("retain_grad", Spec(Kind.RETAIN_GRAD))
_tensor("backward", Spec(Kind.BACKWARD))
_tensor("register_hook", Spec(Kind.REGISTER_HOOK))
_tensor("requires_grad_", Spec(Kind.REQUIRES_GRAD_METHOD))
_tensor("detach_", Spec(Kind.DETACH_IN_PLACE))
_tensor("detach numpy cpu_detached", Spec(Kind.DETACHING))
for _name, _dtype in (("double", "float64"), ("float", "float32"), ("half", "float16"), ("bfloat16", "bfloat16")):
    _tensor([_name], Spec(Kind.MOVE, dtype=_dtype))
for _name in ("cuda", "cpu"):
    _tensor([_name], Spec(Kind.MOVE, device=_name))
_tensor("to", Spec(Kind.MOVE))
_tensor("type", Spec(Kind.MOVE, dtype_argument=True))
_tensor("long int short byte char bool", Spec(Kind.NON_FLOAT))
_tensor("""item tolist size dim numel ndimension nelement stride element_size data_ptr get_device is_contiguous
    equal allclose is_floating_point is_complex storage_offset""", Spec(Kind.NONDIFFERENTIABLE, number=True))
_tensor("""argmax argmin argsort argwhere nonzero eq ne lt le gt ge isnan isinf isfinite isneginf isposinf isclose
    logical_and logical_or logical_not logical_xor bitwise_and bitwise_or bitwise_not count_nonzero bincount
    histc unique unique_consecutive searchsorted bucketize zero_ any all sign_bit""",
        Spec(Kind.NONDIFFERENTIABLE))
_tensor("new_zeros new_ones new_full new_empty new_tensor", Spec(Kind.NEW_TENSOR))
_tensor("as_subclass", Spec(Kind.WRAP))
_MAYBE_IDENTITY_METHODS = "flatten type_as conj resolve_conj resolve_neg"
_tensor(_MAYBE_IDENTITY_METHODS, Spec(Kind.MAYBE_IDENTITY))
for _name in _DIFFERENTIABLE.split() + ["__getitem__"]:
    if _name in _MAYBE_IDENTITY_METHODS.split():
        continue  # differentiable, but maybe the tensor itself
    if _name.endswith("_") and not _name.endswith("__"):
        _tensor([_name], Spec(Kind.IN_PLACE))
    else:
        _tensor([_name], _op(Kind.DIFFERENTIABLE, _name, identity_when_fresh=_name == "contiguous"))

# ------------------------------------------------------------------ tensor attributes
_tensor("grad", Spec(Kind.GRAD_ATTRIBUTE))
_tensor("requires_grad", Spec(Kind.REQUIRES_GRAD_ATTRIBUTE))
_tensor("is_leaf retains_grad", Spec(Kind.LEAF_TEST_ATTRIBUTE))
_tensor("shape ndim is_cuda layout names is_sparse itemsize nbytes grad_fn", Spec(Kind.NONTENSOR_ATTRIBUTE))
_tensor("device", Spec(Kind.DEVICE_ATTRIBUTE))
_tensor("dtype", Spec(Kind.DTYPE_ATTRIBUTE))
_tensor("data", Spec(Kind.DETACHED_ATTRIBUTE))
_tensor("real", Spec(Kind.SELF_ATTRIBUTE, view=None))
_tensor("T mT H mH", Spec(Kind.VIEW_ATTRIBUTE, view=True))
_tensor("imag", Spec(Kind.VIEW_ATTRIBUTE, view=None))
# Fields of the (values, indices) results of max, sort, topk...
PAIR_FIELDS = ("values", "indices")

# ------------------------------------------------------------------ module methods
_module("forward __call__", Spec(Kind.MODULE_CALL))
# What each conversion does to the parameters' dtype (`apply(fn)`: anything) and to the training flag.
for _name, _dtype in (("double", "float64"), ("float", "float32"), ("half", "float16"), ("bfloat16", "bfloat16")):
    _module([_name], Spec(Kind.MODULE_SELF, dtype=_dtype))
_module("to type", Spec(Kind.MODULE_SELF, dtype_argument=True))
_module("cuda cpu requires_grad_ zero_grad", Spec(Kind.MODULE_SELF, keeps_dtype=True))
_module("train", Spec(Kind.MODULE_SELF, keeps_dtype=True, training=True, mode_argument=True))
_module("eval", Spec(Kind.MODULE_SELF, keeps_dtype=True, training=False))
_module("apply", Spec(Kind.MODULE_SELF, any_mode=True))
_module("training", Spec(Kind.TRAINING_FLAG))
_module("parameters", Spec(Kind.PARAMETER_ITERATOR))
_module("named_parameters", Spec(Kind.NAMED_PARAMETER_ITERATOR))
_module("append", Spec(Kind.CHILD_APPEND, returns_self=True))
_module("add_module", Spec(Kind.CHILD_APPEND))
_module("children", Spec(Kind.CHILD_ITERATOR))
_module("named_children", Spec(Kind.CHILD_ITERATOR, named=True))
_module("insert extend pop register_module __setitem__ __delitem__ __iadd__", Spec(Kind.CHILDREN_CHANGE))
_module("register_forward_hook", Spec(Kind.FORWARD_HOOK_REGISTRATION))
# `_parameters` is private, but learn2learn's clone_module and AWD-LSTM's WeightDrop store computed
# tensors there: the layer then uses (and parameters() yields) a non-leaf.
_module("_parameters", Spec(Kind.PARAMETER_SLOTS))

# ------------------------------------------------------------------ the standard library
_declare("itertools.chain itertools.chain.from_iterable", Spec(Kind.CHAIN))
_declare("collections.namedtuple", Spec(Kind.NAMED_TUPLE_FACTORY))
_declare("collections.OrderedDict", Spec(Kind.BUILTIN_CONTAINER, container="dict"))
_declare("typing.NamedTuple", Spec(Kind.NAMED_TUPLE_BASE))
_declare("types.SimpleNamespace argparse.Namespace", Spec(Kind.NAMESPACE_CLASS))
_declare("dataclasses.dataclass", Spec(Kind.DATACLASS_DECORATOR))
_declare("functools.wraps staticmethod", Spec(Kind.TRANSPARENT_DECORATOR, transparent=True))

# ------------------------------------------------------------------ families
# Every torch.nn.init function fills its first argument in place and returns it; every
# torch.nn.utils.prune function (but the exact entries above) reparametrizes (name: 2nd argument).
PREFIXES: Tuple[Tuple[str, Spec], ...] = (
    ("torch.nn.init.", Spec(Kind.RETURNS_ARGUMENT)),
    ("torch.nn.utils.prune.", Spec(Kind.REPARAMETRIZATION)),
)
# Optimizers: their first argument (or params=) must hold leaves.
_OPTIMIZER = re.compile(r"^torch\.optim\.(?:[a-z_]+\.)?[A-Z][A-Za-z]*$")
_OPTIMIZER_SPEC = Spec(Kind.OPTIMIZER)


# ------------------------------------------------------------------ lookups
_TENSOR_PREFIX, _MODULE_PREFIX = TENSOR + ".", MODULE + "."
TENSOR_MEMBERS: Dict[str, Spec] = {k[len(_TENSOR_PREFIX):]: s for k, s in SPECS.items()
                                   if k.startswith(_TENSOR_PREFIX)}
MODULE_MEMBERS: Dict[str, Spec] = {k[len(_MODULE_PREFIX):]: s for k, s in SPECS.items()
                                   if k.startswith(_MODULE_PREFIX)}
_FUNCTIONS: Dict[str, Spec] = {k: s for k, s in SPECS.items()
                               if not k.startswith((_TENSOR_PREFIX, _MODULE_PREFIX))}


def function(qualname: str) -> Optional[Spec]:
    """The spec of a function or class (None: not known)."""
    spec = _FUNCTIONS.get(qualname)
    if spec is not None:
        return spec
    for prefix, family in PREFIXES:
        if qualname.startswith(prefix):
            return family
    if _OPTIMIZER.match(qualname) and ".lr_scheduler." not in qualname:
        return _OPTIMIZER_SPEC
    return None


def kind_of(qualname: Optional[str]) -> Optional[Kind]:
    spec = function(qualname) if qualname else None
    return spec.kind if spec is not None else None


def tensor_member(name: str) -> Optional[Spec]:
    return TENSOR_MEMBERS.get(name)


def module_member(name: str) -> Optional[Spec]:
    return MODULE_MEMBERS.get(name)


def names(kind: Kind, table: Optional[Dict[str, Spec]] = None) -> FrozenSet[str]:
    """The names (keys of `table`, the qualified names by default) of one kind."""
    return frozenset(k for k, s in (SPECS if table is None else table).items() if s.kind is kind)


def short_names(kind: Kind) -> FrozenSet[str]:
    """The last component of the qualified names of one kind (for facts read from syntax alone)."""
    return frozenset(k.rsplit(".", 1)[-1] for k in names(kind))


def _the(kind: Kind, table: Dict[str, Spec]) -> str:
    (name,) = names(kind, table)
    return name


def is_torch(qualname: str) -> bool:
    return qualname.startswith(_TORCH)


def is_nn(qualname: Optional[str]) -> bool:
    return bool(qualname) and qualname.startswith(NN)  # type: ignore[union-attr]


def dtype_of(qualname: Optional[str]) -> Optional[str]:
    """The dtype a qualified name stands for (`torch.float64`, `torch.DoubleTensor`), or None."""
    spec = _FUNCTIONS.get(qualname) if qualname else None
    if spec is not None and (spec.kind is Kind.DTYPE or spec.as_dtype):
        return spec.dtype
    return None


def dtype_object(qualname: Optional[str]) -> Optional[str]:
    """The dtype of a dtype object (`torch.float64`; not a legacy type, which compares unequal to it)."""
    spec = _FUNCTIONS.get(qualname) if qualname else None
    return spec.dtype if spec is not None and spec.kind is Kind.DTYPE else None


def torch_name(name: str) -> str:
    """`torch.float32` for "float32", `torch.randn` for "randn"."""
    return _TORCH + name


# Names the analysis reads from syntax (derived from the table: one place to change them).
GRAD = _the(Kind.GRAD_ATTRIBUTE, TENSOR_MEMBERS)
REQUIRES_GRAD = _the(Kind.REQUIRES_GRAD_ATTRIBUTE, TENSOR_MEMBERS)
REQUIRES_GRAD_METHOD = _the(Kind.REQUIRES_GRAD_METHOD, TENSOR_MEMBERS)
LEAF_TESTS = names(Kind.LEAF_TEST_ATTRIBUTE, TENSOR_MEMBERS)
FORWARD = "forward"  # what calling an instance of a torch.nn.Module subclass runs
assert MODULE_MEMBERS[FORWARD].kind is Kind.MODULE_CALL
FORWARD_HOOK_REGISTRATION = _the(Kind.FORWARD_HOOK_REGISTRATION, MODULE_MEMBERS)
TRAINING = _the(Kind.TRAINING_FLAG, MODULE_MEMBERS)
_PARAMETER_ATTRIBUTE = re.compile(
    r"^(weight|bias|in_proj_weight|in_proj_bias|(weight|bias)_(ih|hh)_l\d+(_reverse)?)$"
)


def is_layer_parameter(attribute: str) -> bool:
    """A parameter attribute name of torch.nn layers."""
    return bool(_PARAMETER_ATTRIBUTE.match(attribute))

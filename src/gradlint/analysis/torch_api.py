"""What gradlint knows about torch's API, as data.

Every name is a fully qualified name (`torch.randn`, `torch.nn.Linear`) or a tensor method name.
The interpreter looks things up here; it holds no torch knowledge of its own.
Facts behind each table: ../shared/autograd-facts.md (checked against torch 2.13).
"""
from __future__ import annotations

import re

# Factories: a fresh leaf; it requires grad only with a literal requires_grad=True.
FACTORIES = frozenset(
    "torch." + name
    for name in """tensor randn rand zeros ones empty full arange linspace logspace eye randint
    randperm normal empty_strided tril_indices triu_indices complex polar as_strided_scatter
    zeros_like ones_like empty_like full_like rand_like randn_like randint_like
    from_numpy asarray as_tensor frombuffer""".split()
)
# Legacy constructors (`torch.Tensor([1, 2])`, `torch.FloatTensor(2, 2)`): a fresh leaf on the CPU
# that does not require grad, of the type's dtype.
LEGACY_TENSOR_TYPES = {
    "torch." + name: dtype for name, dtype in (
        ("Tensor", "float32"), ("FloatTensor", "float32"), ("DoubleTensor", "float64"),
        ("HalfTensor", "float16"), ("BFloat16Tensor", "bfloat16"), ("LongTensor", "int64"),
        ("IntTensor", "int32"), ("ShortTensor", "int16"), ("CharTensor", "int8"),
        ("ByteTensor", "uint8"), ("BoolTensor", "bool"))
}
# Positional index of the argument that is the source tensor for `*_like` factories.
LIKE_FACTORIES = frozenset(n for n in FACTORIES if n.endswith("_like"))
# `x.new_zeros(...)`: a fresh leaf, requires grad only if asked.
NEW_TENSOR_METHODS = frozenset("new_zeros new_ones new_full new_empty new_tensor".split())
# Factories whose default dtype is the default float dtype (float32 unless changed).
FLOAT_FACTORIES = frozenset(
    "torch." + n for n in "randn rand empty normal linspace logspace randn_like rand_like".split()
)
FACTORY_DTYPE_KWARG = "dtype"
FACTORY_DEVICE_KWARG = "device"

# Constructors that make a leaf out of any tensor (requires grad unless requires_grad=False).
PARAMETER_CLASSES = frozenset({"torch.nn.Parameter", "torch.nn.parameter.Parameter"})
# Legacy wrapper: a leaf only with requires_grad=True.
VARIABLE_CLASSES = frozenset({"torch.autograd.Variable", "torch.autograd.variable.Variable"})

# Methods and attributes that return a detached leaf without grad.
DETACHING_METHODS = frozenset({"detach", "numpy", "cpu_detached"})
DETACHING_ATTRIBUTES = frozenset({"data"})
DETACH_IN_PLACE = "detach_"

# Device and dtype moves: a copy (a non-leaf if the source requires grad) unless nothing changes.
DTYPE_METHODS = {"double": "float64", "float": "float32", "half": "float16", "bfloat16": "bfloat16"}
DEVICE_METHODS = {"cuda": "cuda", "cpu": "cpu"}
MOVE_METHODS = frozenset({"to", "type"} | set(DTYPE_METHODS) | set(DEVICE_METHODS))
# Conversions to integer or bool dtypes: never require grad.
NON_FLOAT_METHODS = frozenset("long int short byte char bool".split())
DTYPE_NAMES = {
    "torch.float64": "float64", "torch.double": "float64", "torch.float32": "float32",
    "torch.float": "float32", "torch.float16": "float16", "torch.half": "float16",
    "torch.bfloat16": "bfloat16", "torch.int64": "int64", "torch.long": "int64",
    "torch.int32": "int32", "torch.int": "int32", "torch.bool": "bool", "torch.uint8": "uint8",
    "torch.complex64": "complex64", "torch.cfloat": "complex64",
    "torch.complex128": "complex128", "torch.cdouble": "complex128",
    "torch.DoubleTensor": "float64", "torch.FloatTensor": "float32", "torch.HalfTensor": "float16",
    "torch.LongTensor": "int64",
}
FLOAT_DTYPES = frozenset({"float64", "float32", "float16", "bfloat16", "complex64", "complex128"})
# Ops that return `self` when the layout already matches (a fresh factory tensor is contiguous).
IDENTITY_WHEN_FRESH = frozenset({"contiguous"})

# Tensor methods that return something that never requires grad (bools, indices, sizes, numbers).
NONDIFFERENTIABLE_METHODS = frozenset(
    """size dim ndimension numel nelement item tolist argmax argmin argsort argwhere nonzero eq ne lt
    le gt ge equal isnan isinf isfinite isneginf isposinf isclose allclose logical_and logical_or
    logical_not logical_xor bitwise_and bitwise_or bitwise_not count_nonzero element_size stride
    storage_offset is_contiguous data_ptr get_device is_floating_point is_complex bincount
    histc unique unique_consecutive searchsorted bucketize zero_ any all sign_bit""".split()
)
NONDIFFERENTIABLE_FUNCTIONS = frozenset(
    "torch." + n
    for n in """argmax argmin argsort argwhere nonzero eq ne lt le gt ge equal isnan isinf isfinite
    isclose allclose logical_and logical_or logical_not count_nonzero bincount histc unique
    searchsorted bucketize zeros_like ones_like empty_like full_like numel is_tensor
    is_floating_point result_type""".split()
) | frozenset({"torch.nn.functional.one_hot"})
# Attributes of a tensor that are not tensors that require grad.
NONTENSOR_ATTRIBUTES = frozenset(
    "shape dtype device is_leaf requires_grad grad_fn ndim is_cuda layout names retains_grad "
    "is_sparse itemsize nbytes".split()
)
# Attributes that are views of the tensor (a non-leaf when the tensor requires grad).
VIEW_ATTRIBUTES = frozenset({"T", "mT", "H", "mH", "imag"})
# `.real` of a real tensor is the tensor itself.
SELF_ATTRIBUTES = frozenset({"real"})

# Differentiable tensor methods and torch functions (the result requires grad when an input does).
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
sub_ tanh_ unsqueeze_ squeeze_ t_ transpose_ cholesky qr det logical_not_ kthvalue aminmax
softplus square_ lerp_ sin_ cos_ log_ atleast_1d atleast_2d atleast_3d block_diag cartesian_prod
combinations cov corrcoef cumulative_trapezoid heaviside histogram frexp ldexp nanmean trapz
as_strided unsafe_split unsafe_chunk split_with_sizes chain_matmul addmm_ baddbmm_ mm_ pdist
triplet_margin_loss cosine_similarity pairwise_distance dropout layer_norm group_norm batch_norm
instance_norm embedding bilinear conv_transpose1d conv_transpose2d conv_transpose3d""".split()
DIFFERENTIABLE_METHODS = frozenset(_DIFFERENTIABLE) | frozenset({"__getitem__"})
DIFFERENTIABLE_FUNCTIONS = frozenset("torch." + n for n in _DIFFERENTIABLE) | frozenset(
    "torch.linalg." + n
    for n in """norm vector_norm matrix_norm inv det slogdet svd svdvals eigh eigvalsh qr cholesky
    solve lstsq pinv matrix_exp matrix_power cross multi_dot vecdot""".split()
) | frozenset("torch.special." + n for n in "expit logit erf erfc xlogy softmax log_softmax".split())
# In-place methods: the result is the same object; it may become a non-leaf (a plain tensor that
# absorbs a requires-grad value).
IN_PLACE_METHODS = frozenset(m for m in DIFFERENTIABLE_METHODS if m.endswith("_") and not m.endswith("__"))
# Ops that return their input itself in some cases (shape, mode, dtype or p dependent): the result
# is the input, or a non-leaf copy; never provably a non-leaf made from a leaf.
MAYBE_IDENTITY_METHODS = frozenset("flatten type_as conj resolve_conj resolve_neg".split())
MAYBE_IDENTITY_FUNCTIONS = frozenset(
    "torch." + n for n in "flatten atleast_1d atleast_2d atleast_3d conj resolve_conj resolve_neg dropout "
    "alpha_dropout feature_alpha_dropout as_tensor asarray".split()
) | frozenset("torch.nn.functional." + n for n in "dropout dropout1d dropout2d dropout3d alpha_dropout "
              "feature_alpha_dropout".split())
# Views: they share their base's autograd state. Under no_grad a view of a tensor that requires
# grad is a requires-grad leaf; a view taken before its base asked for grad requires grad after.
VIEW_METHODS = frozenset(
    """view view_as unsqueeze squeeze t transpose permute expand expand_as narrow select diagonal
    unflatten movedim moveaxis swapaxes swapdims as_strided unfold split chunk unbind tensor_split
    hsplit vsplit dsplit split_with_sizes unsafe_split unsafe_chunk""".split()
)
MAYBE_VIEW_METHODS = frozenset("reshape reshape_as flatten ravel contiguous".split())
VIEW_ATTRIBUTE_NAMES = frozenset({"T", "mT", "H", "mH"})
# Ops returning a (values, indices) pair when given a dimension.
VALUES_INDICES_OPS = frozenset("max min sort topk kthvalue median mode cummax cummin nanmedian".split())
ALWAYS_PAIR_OPS = frozenset("sort topk kthvalue mode cummax cummin".split())
# Ops returning a tuple of tensors, all derived from the input.
SPLITTING_OPS = frozenset(
    "split chunk unbind tensor_split hsplit vsplit dsplit unsafe_split unsafe_chunk split_with_sizes".split()
)

# torch.nn.functional: differentiable in their tensor arguments.
FUNCTIONAL = frozenset(
    "torch.nn.functional." + n
    for n in """relu relu6 gelu silu sigmoid tanh softmax log_softmax softmin linear bilinear conv1d
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
    gumbel_softmax prelu rrelu""".split()
)

# Optimizers: their first argument (or params=) must hold leaves.
OPTIMIZER_PREFIX = "torch.optim."
_OPTIMIZER = re.compile(r"^torch\.optim\.(?:[a-z_]+\.)?[A-Z][A-Za-z]*$")


def is_optimizer(qualname: str) -> bool:
    return bool(_OPTIMIZER.match(qualname)) and ".lr_scheduler." not in qualname


# Backward passes.
BACKWARD_FUNCTIONS = frozenset({"torch.autograd.backward"})
BACKWARD_METHOD = "backward"
# Functions that compute gradients without filling .grad.
GRAD_FUNCTIONS = frozenset({"torch.autograd.grad"})

# Grad-mode contexts and decorators: qualified name -> grad enabled inside?
GRAD_MODE_CONTEXTS = {
    "torch.no_grad": False,
    "torch.inference_mode": False,
    "torch.autograd.no_grad": False,
    "torch.autograd.grad_mode.no_grad": False,
    "torch.enable_grad": True,
    "torch.autograd.enable_grad": True,
}
SET_GRAD_ENABLED = frozenset({"torch.set_grad_enabled", "torch.autograd.set_grad_enabled"})
# Decorators that keep a function's behaviour (apart from grad mode).
TRANSPARENT_DECORATORS = frozenset({"torch.compile", "functools.wraps", "staticmethod"})
# Calls that change the defaults the analysis relies on.
DEFAULT_CHANGERS = frozenset({"torch.set_default_dtype", "torch.set_default_device",
                              "torch.set_default_tensor_type"})

# torch.nn modules.
NN = "torch.nn."
MODULE_BASES = frozenset({"torch.nn.Module", "torch.nn.modules.module.Module"})
MODULES_WITH_PARAMETERS = frozenset(
    NN + n
    for n in """Linear Bilinear LazyLinear Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d
    ConvTranspose3d LazyConv1d LazyConv2d LazyConv3d Embedding EmbeddingBag BatchNorm1d BatchNorm2d
    BatchNorm3d SyncBatchNorm LayerNorm GroupNorm RMSNorm LocalResponseNorm RNN LSTM GRU RNNCell
    LSTMCell GRUCell MultiheadAttention Transformer TransformerEncoder TransformerDecoder
    TransformerEncoderLayer TransformerDecoderLayer PReLU""".split()
)
# Modules whose call returns a structure of outputs (all derived from parameters): a tree of
# tuples, each leaf a tensor ("t") or something we don't model ("?").
STRUCTURED_OUTPUT_MODULES = {
    NN + "RNN": ("t", "t"), NN + "GRU": ("t", "t"), NN + "LSTM": ("t", ("t", "t")),
    NN + "LSTMCell": ("t", "t"), NN + "MultiheadAttention": ("t", "?"),
}
PARAMETER_FREE_MODULES = frozenset(
    NN + n
    for n in """ReLU ReLU6 LeakyReLU GELU SiLU Sigmoid Tanh Softmax LogSoftmax Softmin Softplus ELU
    SELU CELU Mish Hardtanh Hardswish Hardsigmoid Flatten Unflatten MaxPool1d MaxPool2d MaxPool3d AvgPool1d AvgPool2d AvgPool3d
    AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d AdaptiveMaxPool1d AdaptiveMaxPool2d
    AdaptiveMaxPool3d Upsample PixelShuffle PixelUnshuffle ZeroPad2d ConstantPad1d ConstantPad2d
    ConstantPad3d ReflectionPad1d ReflectionPad2d ReplicationPad1d ReplicationPad2d CosineSimilarity
    PairwiseDistance Threshold GLU LogSigmoid Tanhshrink Softsign Softshrink Hardshrink RReLU
    MSELoss L1Loss CrossEntropyLoss NLLLoss BCELoss BCEWithLogitsLoss SmoothL1Loss HuberLoss
    KLDivLoss CosineEmbeddingLoss MarginRankingLoss TripletMarginLoss HingeEmbeddingLoss
    MultiLabelSoftMarginLoss SoftMarginLoss MultiMarginLoss PoissonNLLLoss GaussianNLLLoss CTCLoss
    MultiLabelMarginLoss TripletMarginWithDistanceLoss""".split()
)
SEQUENTIAL = frozenset({NN + "Sequential"})
IDENTITY_MODULES = frozenset({NN + "Identity"})
MAYBE_IDENTITY_MODULES = frozenset(NN + n for n in "Dropout Dropout1d Dropout2d Dropout3d AlphaDropout "
                                   "FeatureAlphaDropout".split())
MODULE_LISTS = frozenset({NN + "ModuleList", NN + "ModuleDict", NN + "ParameterList", NN + "ParameterDict"})
# Parameter attribute names of torch.nn layers.
_PARAMETER_ATTRIBUTE = re.compile(
    r"^(weight|bias|in_proj_weight|in_proj_bias|(weight|bias)_(ih|hh)_l\d+(_reverse)?)$"
)


def is_layer_parameter(attribute: str) -> bool:
    return bool(_PARAMETER_ATTRIBUTE.match(attribute))


# Module methods that return the module itself, converted in place (parameters stay leaves).
MODULE_SELF_METHODS = frozenset(
    "to cuda cpu double float half bfloat16 train eval requires_grad_ type apply zero_grad".split()
)
# Module methods yielding parameters (leaves) and (name, parameter) pairs.
PARAMETER_ITERATORS = frozenset({"parameters"})
NAMED_PARAMETER_ITERATORS = frozenset({"named_parameters"})

# Reparametrizations: after f(module, name=...), module.<name> is a computed non-leaf.
# qualified name -> default attribute name
REPARAMETRIZATIONS = {
    "torch.nn.utils.weight_norm": "weight",
    "torch.nn.utils.spectral_norm": "weight",
    "torch.nn.utils.parametrizations.weight_norm": "weight",
    "torch.nn.utils.parametrizations.spectral_norm": "weight",
    "torch.nn.utils.parametrizations.orthogonal": "weight",
    "torch.nn.utils.parametrize.register_parametrization": None,  # name is the 2nd argument
}
PRUNE_PREFIX = "torch.nn.utils.prune."
PRUNE_NONPRUNING = frozenset({"torch.nn.utils.prune.remove", "torch.nn.utils.prune.is_pruned",
                              "torch.nn.utils.prune.global_unstructured"})
# Functions returning a fresh non-leaf built from their (requires-grad) tensor arguments.
VECTORIZERS = frozenset({"torch.nn.utils.parameters_to_vector",
                         "torch.nn.utils.convert_parameters.parameters_to_vector"})

# Standard-library functions that combine iterables (their result iterates over all of them).
CHAINING_FUNCTIONS = frozenset({"itertools.chain", "itertools.chain.from_iterable"})
# Record classes whose generated __init__ stores each argument as the field of that name, in order.
DATACLASS_DECORATORS = frozenset({"dataclasses.dataclass"})
NAMED_TUPLE_BASES = frozenset({"typing.NamedTuple"})
NAMED_TUPLE_FACTORIES = frozenset({"collections.namedtuple"})
NAMESPACE_CLASSES = frozenset({"types.SimpleNamespace", "argparse.Namespace"})
FORWARD_HOOK_REGISTRATION = "register_forward_hook"

# Calls known never to call retain_grad() on (or otherwise change) what they are given.
PURE_BUILTINS = frozenset(
    """print len isinstance issubclass range enumerate zip list tuple dict set frozenset sorted min
    max sum abs str repr format float int bool type id hash iter next any all reversed round
    divmod pow hasattr callable super vars dir open map filter""".split()
)

# 练习检查工具 · Exercise checking toolkit — the same cell in every exercises/solutions notebook
# Each chapter's `check_*` functions (in the next, hidden cell) are built from these pieces.
import math
import numbers

import torch


class CheckFailed(Exception):
    """A wrong answer; the message explains it in both languages."""


def run_check(title, test):
    """Run `test()` and print a bilingual verdict: ✓ passed, or ✗ and what is wrong.

    Nothing is returned, so the cell shows only the verdict. A stub's NotImplementedError is
    re-raised so that an unfinished exercise stops the notebook. The stub raises the bare class;
    PyTorch raises NotImplementedError too, with a message (`1 - mask` on a bool tensor, softmax
    of an integer tensor): that is the reader's code failing, not an unfinished exercise."""
    try:
        test()
    except NotImplementedError as error:
        if error.args:
            print(f"✗ {title}: 你的代码出错 / your code raised NotImplementedError: {error}")
            return
        print(f"✗ {title}: 尚未完成，请替换 raise NotImplementedError / not done yet: replace the raise NotImplementedError")
        raise NotImplementedError(title) from None
    except CheckFailed as failure:
        print(f"✗ {title}: {failure}")
        return
    except Exception as error:  # the reader's code crashed: report it briefly, never a raw traceback
        print(f"✗ {title}: 你的代码出错 / your code raised {type(error).__name__}: {error}")
        return
    print(f"✓ {title}: 通过 / passed")


def expect_tensor(value, shape, what="输出 / output"):
    """A finite floating-point tensor of the given shape."""
    if value is None:
        raise CheckFailed(f"{what} 是 None，是否忘了 return？ / {what} is None: did you forget `return`?")
    if not isinstance(value, torch.Tensor):
        raise CheckFailed(f"{what} 应为 torch.Tensor，实际为 {type(value).__name__} / "
                          f"{what} should be a torch.Tensor, not {type(value).__name__}")
    if tuple(value.shape) != tuple(shape):
        raise CheckFailed(f"{what} 的形状应为 {tuple(shape)}，实际为 {tuple(value.shape)} / "
                          f"{what} should have shape {tuple(shape)}, got {tuple(value.shape)}")
    if not value.is_floating_point():
        raise CheckFailed(f"{what} 应为浮点张量，实际为 {value.dtype} / {what} should be floating point, got {value.dtype}")
    if not torch.isfinite(value).all():
        raise CheckFailed(f"{what} 含有 NaN 或 Inf / {what} contains NaN or Inf")


def expect_close(value, expected, atol=1e-5, what="输出 / output"):
    """`value` (tensor or number) within `atol` of `expected`."""
    if isinstance(expected, torch.Tensor):
        expect_tensor(value, expected.shape, what)
        gap = (value.detach().double() - expected.detach().double()).abs().max().item()
    else:
        expect_number(value, what)
        gap = abs(float(value) - float(expected))
    if not gap <= atol:
        raise CheckFailed(f"{what} 的数值不对：与参考值最多相差 {gap:.3g}（容差 {atol:g}） / "
                          f"{what} has wrong values: off by up to {gap:.3g} (tolerance {atol:g})")


def type_name(value, belongs):
    """The type of `value`, and for a list or tuple the types of its elements that fail `belongs`: 'list[Tensor]'."""
    name = type(value).__name__
    if isinstance(value, (list, tuple)):
        name += "[" + ", ".join(sorted({type(element).__name__ for element in value if not belongs(element)})) + "]"
    return name


def expect_number(value, what="输出 / output"):
    """A finite real number: a Python or NumPy number, or a one-element tensor."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise CheckFailed(f"{what} 应为一个数，实际为 {type(value).__name__} / {what} should be a number, not {type(value).__name__}")
    if not math.isfinite(value):
        raise CheckFailed(f"{what} 是 {value} / {what} is {value}")

# 标准设置 · Standard setup: the same first cell in every notebook
import glob
import hashlib
import importlib.util
import os
import random
import subprocess
import sys

os.environ.setdefault("SOURCE_DATE_EPOCH", "0")  # SVG figures carry no date
if "google.colab" in sys.modules:  # Colab lacks d2l and a Chinese font: both from PyPI
    # d2l 1.0.3 pins numpy==1.23.5, which new Pythons cannot install; it works without.
    # mplfonts ships the font file NotoSansCJKsc-Regular.otf inside its wheel.
    packages = ["d2l==1.0.3", "mplfonts==0.0.11"]
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps"]
    subprocess.run(pip + packages, check=True)

import matplotlib.pyplot as plt
import numpy as np
import torch
from d2l import torch as d2l
from matplotlib import font_manager
from matplotlib_inline.backend_inline import set_matplotlib_formats

# Chinese labels in figures need a CJK font, or matplotlib draws boxes ("tofu"). The
# file from the mplfonts package (found, never imported) is the same on every machine,
# so the figures are too; a system font is only the fallback.
mplfonts = importlib.util.find_spec("mplfonts")
font_files = glob.glob(os.path.join(os.path.dirname(mplfonts.origin), "fonts",
                                    "NotoSansCJKsc-Regular.otf")) if mplfonts else []
for font_file in font_files or (
    glob.glob("/usr/share/fonts/**/NotoSansCJK*", recursive=True)
    + glob.glob("/System/Library/Fonts/*PingFang*")
):
    font_manager.fontManager.addfont(font_file)
if font_files:  # the wheel's file must win over a system font of the same name
    font_manager.fontManager.ttflist = [font for font in font_manager.fontManager.ttflist
                                        if font.fname in font_files or "CJK" not in font.name]
installed = {font.name for font in font_manager.fontManager.ttflist}
cjk_fonts = [name for name in ("Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei")
             if name in installed]
if not cjk_fonts:
    print("⚠ 未找到中文字体，图中汉字会显示为方框：pip install --no-deps mplfonts\n"
          "⚠ no CJK font: Chinese in figures shows as boxes; pip install --no-deps mplfonts")
plt.rcParams["font.family"] = ["DejaVu Sans", *cjk_fonts]  # Chinese falls back to CJK
plt.rcParams["axes.unicode_minus"] = False
plt.rcParams["svg.hashsalt"] = "rnn-to-bert"  # stable SVG ids
set_matplotlib_formats("svg")

random.seed(0)
np.random.seed(0)
torch.manual_seed(0)


def fetch_data(name, folder="../data"):
    """d2l's hashed download; a clear message if the file is missing or corrupted."""
    sha1 = {"timemachine.txt": "090b5e7e70c295757f55df93cb0a180b9691891a",
            "fra-eng.zip": "94646ad1522d915e7b0f9296181140edcf86a4f5"}[name]
    url = d2l.DATA_URL + name
    try:  # the cached file, without touching the network, when its sha1 matches
        path = d2l.download(url, folder, sha1)
        with open(path, "rb") as file:
            intact = hashlib.sha1(file.read()).hexdigest() == sha1
    except Exception:  # offline: requests raises ConnectionError
        intact = False
    if not intact:
        where = os.path.abspath(folder)
        raise FileNotFoundError(
            f"数据文件 {name} 缺失或损坏，且无法下载。请下载 {url} 并放到 {where}/ 中。\n"
            f"Data file {name} is missing or corrupted and could not be downloaded. "
            f"Download {url} and put it in {where}/."
        ) from None
    return path


def evidence_table(rows):
    """A chapter's evidence, one row per claim: (claim, metric, ours = the mean over seeds,
    spread = their standard deviation, baseline = the number compared with, seeds, holds)."""
    import pandas as pd
    from IPython.display import display

    columns = ["claim", "metric", "ours", "spread", "baseline", "seeds", "holds"]
    table = pd.DataFrame(rows, columns=columns).astype({"seeds": int, "holds": bool})
    with pd.option_context("display.float_format", "{:.4g}".format, "display.max_colwidth", 80):
        display(table)

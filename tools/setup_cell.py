# 标准设置 · Standard setup — the same first cell in every notebook (tests/test_structure.py checks it)
import glob
import hashlib
import os
import random
import subprocess
import sys

os.environ.setdefault("SOURCE_DATE_EPOCH", "0")  # SVG figures carry no date: reproducible output
if "google.colab" in sys.modules:  # Colab lacks d2l and a Chinese font
    # d2l 1.0.3 pins numpy==1.23.5, which cannot install on new Pythons; d2l works without the pin.
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "d2l==1.0.3"], check=True)
    subprocess.run("apt-get -qq install -y fonts-noto-cjk > /dev/null", shell=True, check=True)

import matplotlib.pyplot as plt
import numpy as np
import torch
from d2l import torch as d2l
from matplotlib import font_manager
from matplotlib_inline.backend_inline import set_matplotlib_formats

# Chinese labels in figures need a CJK font; without one matplotlib draws boxes ("tofu").
for font_file in glob.glob("/usr/share/fonts/**/NotoSansCJK*", recursive=True) + glob.glob(
    "/System/Library/Fonts/*PingFang*"
):
    font_manager.fontManager.addfont(font_file)
installed = {font.name for font in font_manager.fontManager.ttflist}
cjk_fonts = [f for f in ("Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "SimHei") if f in installed]
if not cjk_fonts:
    print("⚠ 未找到中文字体，图中汉字会显示为方框 / no CJK font found: Chinese in figures will show as boxes")
plt.rcParams["font.family"] = ["DejaVu Sans", *cjk_fonts]  # Latin from DejaVu; Chinese falls back to the CJK font
plt.rcParams["axes.unicode_minus"] = False
plt.rcParams["svg.hashsalt"] = "rnn-to-bert"  # stable SVG ids
set_matplotlib_formats("svg")

random.seed(0)
np.random.seed(0)
torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def fetch_data(name, folder="../data"):
    """d2l's hashed download; a clear message if the file is missing, corrupted or unreachable."""
    sha1 = {"timemachine.txt": "090b5e7e70c295757f55df93cb0a180b9691891a",
            "fra-eng.zip": "94646ad1522d915e7b0f9296181140edcf86a4f5"}[name]
    url = d2l.DATA_URL + name
    try:  # returns the cached file without touching the network when its sha1 matches
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


print("device:", device)

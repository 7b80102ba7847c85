"""Every static text of the page in English and Simplified Chinese, for Gradio's own i18n.

The page follows the browser's language and can be switched under "Settings" at its foot.
ImageNet class names, stage names (``layer3``) and method names stay as they are.
"""

from __future__ import annotations

import gradio as gr

EN = {
    "intro": (
        "# ResNet50 Explainer\n"
        "See what a ResNet50 trained on ImageNet-1k thinks your image shows, where it looked "
        "(Grad-CAM and nine other CAM methods), what each residual stage and block does, and "
        "which channels make up the score."
    ),
    "your_image": "Your image",
    "explain": "Explain",
    "examples": "Example photos",
    "display": "Display",
    "colormap": "Heatmap colormap",
    "opacity": "Heatmap opacity",
    "top5": "Top-5 ImageNet classes",
    "pick_top5": "Explain one of the top-5",
    "any_class": "…or any ImageNet class (type to search)",
    "contrast": "…and not (why A and not B)",
    "method": "CAM method (layer4)",
    "heatmap": "Heatmap on the 224×224 crop the model saw",
    "faithfulness": "Measure faithfulness (ROAD, 8 extra passes)",
    "report": "Download JSON report",
    "tab_features": "Feature maps",
    "channels": "Channels per stage",
    "colour_scale": "Colour scale",
    "features": "The most active channels of the stem and each residual stage (one pixel per activation)",
    "tab_stages": "Grad-CAM at every stage",
    "stages_caption": "Grad-CAM of the chosen class at the output of each stage, from one backward pass.",
    "stages": "layer1 .. layer4",
    "tab_blocks": "Residual blocks",
    "blocks_caption": (
        "Each bottleneck block computes **output = relu(F(x) + x)**: the shortcut carries x through "
        "unchanged and the residual branch F adds a correction. **‖F(x)‖ / ‖shortcut‖** says how big "
        "that correction is (near 0: the block barely changes the signal); **cosine** says whether it "
        "reinforces the signal (> 0) or works against it (< 0). The map shows ‖F(x)‖ at each position "
        "of the chosen block: where in the image that block changes the most."
    ),
    "blocks_plot": "What each block adds",
    "block_choice": "Block for the map",
    "block_map": "‖F(x)‖ at each position",
    "tab_live": "Live webcam",
    "live_caption": (
        "Point your webcam: the top-5 and the Grad-CAM overlay follow the stream. Frames that arrive "
        "while one is being explained are dropped, so the view never lags behind."
    ),
    "webcam": "Webcam",
    "live_heatmap": "Grad-CAM, live",
    "live_top5": "Top-5, live",
    "tab_learn": "Learn ResNet50",
    "learn_intro": (
        "**ResNet50** turns a 224×224 photo into 1000 class scores in six parts. The **stem** (a 7×7 "
        "convolution and a max-pool) shrinks the image 4× and finds edges and colours. Four **stages** "
        "follow; each halves the resolution (except the first) and doubles the channels, so the maps get "
        "coarser and more abstract. The **head** averages each of the 2048 final maps to one number and a "
        "single linear layer turns them into the 1000 scores.\n\n"
        "Every stage is a stack of **bottleneck blocks**. A block squeezes the channels with a 1×1 "
        "convolution, looks at 3×3 neighbourhoods, and expands the channels again with another 1×1: that "
        "is its **residual branch F(x)**. The **shortcut** carries the block's input x around the branch "
        "unchanged (or through a 1×1 projection where the shape changes), and the block outputs "
        "relu(F(x) + x). So each block only has to learn a *correction* to what it receives, which is why "
        "50 layers can be trained at all. The table below is measured from the loaded model itself."
    ),
    "learn_waiting": "Explain an image to see what its residual blocks did.",
    "tab_logit": "Where the logit comes from",
    "logit_caption": (
        "ResNet50's score for a class is a sum over the 2048 channels of layer4: "
        "**logit = Σₖ fc.weight[class, k] × mean(channel k) + bias**. The chart shows the channels "
        "that push this score up (positive) and down (negative) most; the maps show where in the "
        "image those channels fire."
    ),
    "logit_plot": "Channel contributions",
    "logit_maps": "Those channels' layer4 maps",
}

ZH = {
    "intro": (
        "# ResNet50 解释器\n"
        "看看在 ImageNet-1k 上训练的 ResNet50 认为你的图片是什么、它看了哪里（Grad-CAM 及另外九种 CAM 方法）、"
        "每个残差阶段和残差块做了什么，以及哪些通道构成了得分。"
    ),
    "your_image": "你的图片",
    "explain": "解释",
    "examples": "示例照片",
    "display": "显示",
    "colormap": "热力图配色",
    "opacity": "热力图不透明度",
    "top5": "前 5 个 ImageNet 类别",
    "pick_top5": "解释前 5 个类别之一",
    "any_class": "……或任意 ImageNet 类别（输入以搜索）",
    "contrast": "……而不是（为什么是 A 而不是 B）",
    "method": "CAM 方法（layer4）",
    "heatmap": "模型所见 224×224 裁剪图上的热力图",
    "faithfulness": "测量忠实度（ROAD，额外 8 次前向计算）",
    "report": "下载 JSON 报告",
    "tab_features": "特征图",
    "channels": "每个阶段的通道数",
    "colour_scale": "颜色标尺",
    "features": "stem 和各残差阶段中激活最强的通道（每个激活一个像素）",
    "tab_stages": "各阶段的 Grad-CAM",
    "stages_caption": "所选类别在每个阶段输出处的 Grad-CAM，来自一次反向传播。",
    "stages": "layer1 .. layer4",
    "tab_blocks": "残差块",
    "blocks_caption": (
        "每个瓶颈块计算 **output = relu(F(x) + x)**：捷径连接把 x 原样传过去，残差分支 F 加上一个修正。"
        "**‖F(x)‖ / ‖shortcut‖** 表示这个修正有多大（接近 0：该块几乎不改变信号）；**余弦相似度** 表示修正是"
        "加强信号（> 0）还是与之相反（< 0）。右图显示所选块在每个位置的 ‖F(x)‖：该块在图像的哪里改变最多。"
    ),
    "blocks_plot": "每个块添加了什么",
    "block_choice": "显示哪个块的图",
    "block_map": "每个位置的 ‖F(x)‖",
    "tab_live": "实时摄像头",
    "live_caption": "对准你的摄像头：前 5 个类别和 Grad-CAM 叠加图会跟随视频流更新。处理期间到达的帧会被丢弃，画面不会滞后。",
    "webcam": "摄像头",
    "live_heatmap": "实时 Grad-CAM",
    "live_top5": "实时前 5 个类别",
    "tab_learn": "了解 ResNet50",
    "learn_intro": (
        "**ResNet50** 分六个部分把一张 224×224 的照片变成 1000 个类别得分。**stem**（一个 7×7 卷积和一个最大池化）"
        "把图像缩小 4 倍，找出边缘和颜色。接着是四个**阶段**；每个阶段（第一个除外）把分辨率减半、通道数加倍，"
        "特征图因而越来越粗、越来越抽象。**head** 把最后 2048 张特征图各自平均成一个数，再由一个线性层变成 1000 个得分。\n\n"
        "每个阶段由若干**瓶颈块**堆叠而成。一个块先用 1×1 卷积压缩通道，再看 3×3 邻域，然后用另一个 1×1 卷积把通道扩展回来："
        "这就是它的**残差分支 F(x)**。**捷径连接**把块的输入 x 绕过该分支原样传过去（形状变化处经过一个 1×1 投影），"
        "块的输出是 relu(F(x) + x)。因此每个块只需学习对输入的*修正*，这正是 50 层的网络能够训练的原因。下表由已加载的模型实际测得。"
    ),
    "learn_waiting": "解释一张图片，即可看到它的残差块做了什么。",
    "tab_logit": "logit 从何而来",
    "logit_caption": (
        "ResNet50 对一个类别的得分是 layer4 上 2048 个通道之和："
        "**logit = Σₖ fc.weight[class, k] × mean(channel k) + bias**。图表显示把得分推高（正）和拉低（负）最多的通道；"
        "下方的图显示这些通道在图像的哪里被激活。"
    ),
    "logit_plot": "各通道的贡献",
    "logit_maps": "这些通道的 layer4 特征图",
}

I18N = gr.I18n(en=EN, **{"zh-CN": ZH})

# Messages computed on the server, in Chinese; English ones come from resnet.preprocess.
ZH_MESSAGES = {
    "no_image": "还没有图片：请上传照片、粘贴图片、用摄像头拍照，或点击一个示例。",
    "not_an_image": "这个文件不是可读取的图片（可能是空文件、文档或改了扩展名的文件）。请上传 JPEG、PNG、WebP、GIF、BMP 或 TIFF 照片。",
    "bomb": "图片太大，无法处理（{detail}）。请缩小到 {limit:,} 像素以下。",
    "over_limit": "图片为 {width}×{height} = {pixels:,} 像素，超过了 {limit:,} 的上限。请缩小图片后重试。",
    "no_pixels": "图片没有像素（{width}×{height}）。",
    "corrupt": "这个 {format} 文件已截断或损坏，无法解码（{detail}）。请重新保存或导出后再上传。",
    "cannot_use": "无法使用这张图片",
}


def wants_chinese(accept_language: str | None) -> bool:
    """True when the browser's first language preference is Chinese (``zh``, ``zh-CN``, ...)."""
    first = (accept_language or "").split(",")[0].strip().lower()
    return first.startswith("zh")


def message(code: str, english: str, accept_language: str | None, **params) -> str:
    """A server message in the browser's language (Chinese or English)."""
    if wants_chinese(accept_language) and code in ZH_MESSAGES:
        return ZH_MESSAGES[code].format(**params)
    return english


def text(key: str) -> gr.i18n.I18nData:
    """The translatable text for ``key`` (raises KeyError for unknown keys, so typos fail early)."""
    EN[key]
    return I18N(key)

"""Every text of the page in Simplified Chinese: ``STATIC`` labels (translated in the browser by Gradio's
i18n) and ``SERVER`` texts (made by the handlers in the page's language)."""

from __future__ import annotations

from resnet.cams.methods import METHODS
from resnet.cams.occlusion import occlusion_forwards
from resnet.video.frames import BATCH_SIZE, MAX_BYTES, MAX_SECONDS

STATIC = {
    # Gradio's own words that its Chinese translation lacks (looked up by these keys)
    "common.complete": "完成",
    "status.queue_position": "排队中：第 {position} 位，共 {size} 位",
    "image_editor.select_draw_tool": "选择画笔工具即可开始",
    "intro": (
        "# ResNet50 解释器\n"
        f"看看在 ImageNet-1k 上训练的 ResNet50 认为你的图片是什么、它看了哪里（Grad-CAM 及另外 {len(METHODS) - 1} 种 CAM 方法）、"
        "每个残差阶段和残差块做了什么，以及哪些通道构成了得分。\n\n"
        "**从这里开始：** 上传一张照片（或点击示例）并按 **解释**，然后打开下方的标签页深入查看。"
    ),
    "group_inside": "内部",
    "group_test": "检验",
    "group_motion": "动态",
    "group_learn": "学习",
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
    "tab_stages": "各阶段",
    "stages_caption": "所选类别在每个阶段输出处的 Grad-CAM，来自一次反向传播。",
    "stages": "layer1 .. layer4",
    "tab_blocks": "残差块",
    "blocks_caption": (
        "每个瓶颈块计算 **输出 = relu(F(x) + x)**：捷径连接把 x 原样传过去，残差分支 F 加上一个修正。"
        "**‖F(x)‖ / ‖x‖**（x 为捷径）表示这个修正有多大（接近 0：该块几乎不改变信号）；**cos(F(x), x)**（余弦相似度）表示修正是"
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
        "特征图因而越来越粗、越来越抽象。**头部**把最后 2048 张特征图各自平均成一个数，再由一个线性层变成 1000 个得分。\n\n"
        "每个阶段由若干**瓶颈块**堆叠而成。一个块先用 1×1 卷积压缩通道，再看 3×3 邻域，然后用另一个 1×1 卷积把通道扩展回来："
        "这就是它的**残差分支 F(x)**。**捷径连接**把块的输入 x 绕过该分支原样传过去（形状变化处经过一个 1×1 投影），"
        "块的输出是 relu(F(x) + x)。因此每个块只需学习对输入的*修正*，这正是 50 层的网络能够训练的原因。下表由已加载的模型实际测得。"
    ),
    "learn_waiting": "解释一张图片，即可看到它的残差块做了什么。",
    "lesson_conv": (
        "## 1 · 卷积：用你的照片\n"
        "卷积让一个小卷积核在图像上滑动；在每个位置把卷积核与其下方的像素逐个相乘再求和。ResNet50 的第一层 **conv1** "
        "有 64 个学习得到的 7×7 卷积核（每个输出通道一个，覆盖 3 个颜色通道），步幅 2，填充 3。"
    ),
    "kernels": "conv1 学到的 64 个 7×7 卷积核（颜色：每个卷积核的权重，各自缩放）",
    "kernel_pick": "卷积核（conv1 的输出通道）",
    "kernel_response": "它在你的照片上的响应：conv1 的输出通道（112×112；红为正，蓝为负）",
    "kernel_preset": "自己的 3×3 卷积核：从这里开始",
    "kernel_numbers": "它的数值（可编辑）",
    "kernel_result": "你的卷积核作用于灰度照片（步幅 1，填充 1；红为正，蓝为负）",
    "lesson_pool": (
        "## 2 · 池化、BatchNorm 与 ReLU：用你的照片\n"
        "conv1 之后，主干先对每个通道做 **BatchNorm**（减去学到的均值、除以学到的尺度，再缩放和平移），只保留正值"
        "（**ReLU**），然后做 **最大池化**：每个输出是 3×3 窗口中的最大值，窗口以步幅 2 移动，特征图从 112×112 缩小到 56×56。"
    ),
    "pool_before": "所选卷积核的通道，最大池化之前（ReLU 之后）",
    "pool_after": "……以及之后",
    "histograms": "你的照片在主干中的所有数值：conv1 之后、BatchNorm（bn1）之后、ReLU 之后",
    "lesson_block": (
        "## 3 · 打开一个残差块\n"
        "选择一个块和一个通道：块的输入 x、残差分支 F(x)、捷径，以及输出 relu(F(x) + 捷径(x))，并附上数值。"
        "下方：把类别分数反向传播时，主干和每个块输出处的梯度有多强。"
    ),
    "lesson_block_choice": "块",
    "lesson_channel": "通道",
    "block_tensors": "x、F(x)、捷径(x) 与输出，单个通道（红为正，蓝为负）",
    "gradient_plot": "每个块输出处类别分数梯度的范数",
    "live_yours": "使用你的类别（在“教新类别”标签页中训练）",
    "live_smoothing": "热力图在帧间的平滑程度（0：不平滑）",
    "live_lock": "锁定所解释的类别",
    "live_freeze": "定格这一帧并完整分析",
    "tab_whatif": "假如……？",
    "whatif_intro": (
        "通过修改图片来检验热力图。在模型看到的裁剪图上涂抹一部分（画笔），选择如何填充被涂抹的像素（对图片做强模糊，或用它的平均颜色），"
        "然后点击 **看看没有它时模型会怎样**：一次前向计算给出新旧前 5 名的对比、所解释类别的 logit 与概率的变化，以及它新的 Grad-CAM。"
        "如果热力图是对的，遮住它的热点应当比遮住冷区让该类别损失更多。下方的遮挡敏感度图对一个灰色小方块的每个位置做同样的事。"
    ),
    "whatif_editor": "涂抹要隐藏的部分（模型看到的 224×224 裁剪图，放大两倍显示）",
    "whatif_fill": "被涂抹的像素填充为",
    "whatif_button": "看看没有它时模型会怎样",
    "whatif_before": "原样：所解释类别的 Grad-CAM",
    "whatif_after": "修改后：同一类别的 Grad-CAM",
    "whatif_table": "修改前后的前 5 名",
    "explain_yours": "你的类别（在“教新类别”中训练）",
    "tab_video": "视频",
    "video_caption": (
        "上传一段视频（MP4、WebM、MOV 或 AVI）或用摄像头录制一段，然后点击 **解释视频**。"
        f"视频帧按你选择的速率（上限）抽取，每 {BATCH_SIZE} 帧一批进行解释；你会得到一段在每个被解释的帧上叠加 Grad-CAM "
        "和第一名类别的视频、最可能类别的时间线，并可完整打开任意一帧。"
        f"**限制：** 每段不超过 {MAX_SECONDS:.0f} 秒、{MAX_BYTES // 2**20} MB；帧最大 4K。本服务器一次只解释一段视频"
        "（其他请求排队）；**停止** 会在当前批次结束后中止。"
    ),
    "video_in": "你的视频",
    "video_example": "示例视频（4 秒：一只猫，然后一杯咖啡）",
    "video_fps": "每秒视频解释的帧数（上限；较慢的视频保留全部帧）",
    "video_yours": "使用你的类别（在“教新类别”标签页中训练）",
    "video_button": "解释视频",
    "video_stop": "停止",
    "video_cam": "每个被解释的帧上的 Grad-CAM 与第一名",
    "video_timeline": "最可能的类别的概率随时间变化",
    "video_frame": "打开一个被解释的帧",
    "video_frame_heatmap": "该帧的 Grad-CAM",
    "video_frame_labels": "该帧的前 5 名",
    "video_analyse": "完整分析这一帧（解释面板）",
    "tab_lab": "残差实验",
    "lab_intro": (
        "**捷径为什么有效。** 每个残差块计算 relu(F(x) + x)：捷径把 x（以及梯度）直接带过该块的各层。"
        "三个实验在你的照片上和一场训练赛跑中展示它带来了什么：去掉网络的一部分看看还剩什么，"
        "沿深度追踪有无捷径时类别分数的梯度，以及从零开始训练普通网络和残差网络。"
    ),
    "lesion_button": "移除残差块（损伤实验）",
    "lesion_plot": "去掉某个块的 F(x)（relu(x)）或其捷径（relu(F(x))）后该类别的概率",
    "lesion_curve": "……同时随机去掉 k 个残差分支（8 次抽样的均值 ± σ）",
    "flow_button": "有无捷径时的梯度（2 次反向传播）",
    "flow_plot": "每个块输出处类别分数梯度范数的 log₁₀",
    "race_caption": (
        "**训练赛跑**（He 等，CVPR 2016，图 1）：CIFAR 式网络（3 个阶段，每阶段 n 个基本块，16/32/64 个通道，"
        "深度 6n + 2）在 scikit-learn 的手写数字上从零训练，普通网络与残差网络各两种深度（20 层和 56 层），"
        "初始权重和批次都相同。更深的*普通*网络训练得比浅的差；更深的 ResNet 则不会。下面的曲线是三个随机种子的均值"
        "（`python -m resnet race --depths 20,56 --epochs 15 --seed 0,1,2`）。"
    ),
    "race_plot": "各轮的训练误差（3 个种子的均值）",
    "race_button": "在这里跑一场短赛（约一分钟）",
    "race_stop": "停止",
    "race_live_plot": "你的赛跑：各轮的训练误差",
    "tab_teach": "教新类别",
    "teach_intro": (
        "像实践者那样先做迁移学习，教 ResNet50 认识你自己的类别：网络保持冻结，每张照片（及其镜像）变成 2048 个池化后的 "
        "layer4 特征，再在几秒内拟合一个线性头（逻辑回归）。给类别起名、添加照片（上传或摄像头），为 2 到 10 个类别重复"
        "（每类最多 30 张；每类 3 张及以上时还会测量留出照片上的准确率），然后点击“训练”。这个头只属于你：它只保存在本页面中，"
        "你可以下载它，之后再上传。"
    ),
    "teach_class": "类别名称",
    "teach_photos": "它的照片",
    "teach_add": "把这些照片加入该类别",
    "teach_snapshot": "……或摄像头快照",
    "teach_add_snapshot": "把快照加入该类别",
    "teach_examples": "用示例照片试试（由其裁剪得到 3 个类别）",
    "teach_clear": "重新开始",
    "teach_button": "训练",
    "teach_download": "你的分类头（safetensors）",
    "teach_upload": "上传分类头文件",
    "teach_try": "在照片上试试你的类别",
    "teach_try_button": "用你的类别解释",
    "teach_labels": "你的类别",
    "teach_heatmap": "你的首位类别的 Grad-CAM",
    "tab_logit": "得分构成",
    "logit_caption": (
        "ResNet50 对一个类别的得分是 layer4 上 2048 个通道之和："
        "**logit = Σₖ fc.weight[类别, k] × 均值(通道 k) + fc.bias[类别]**。图表显示把得分推高（正）和拉低（负）最多的通道；"
        "下方的图显示这些通道在图像的哪里被激活。"
    ),
    "logit_plot": "各通道的贡献",
    "logit_maps": "这些通道的 layer4 特征图",
    "tab_channels": "通道",
    "channels_caption": (
        "一个通道在寻找什么？它的**特征可视化**是一张经过优化、让该通道尽可能强烈激活的图片（图片的像素是平滑的傅里叶频谱，"
        "在随机平移、缩放和旋转下用梯度上升调整，所以无论网络看向哪里，图片都必须起作用）。下方是示例照片中让该通道激活最强的裁剪"
        "（每个裁剪就是该位置能看到的范围，即它的感受野），以及它在你的照片上的激活位置。请选择层和通道，或在“得分构成”标签页中点击一张图。"
        "生成一张图片需要几秒钟；以前生成过的会立即打开。"
    ),
    "channel_layer": "层：stem 或某个残差块（每个阶段的最后一块即该阶段的输出）",
    "channel_index": "通道",
    "channel_button": "显示这个通道在寻找什么",
    "channel_picture": "它在寻找什么（优化出的图片）",
    "channel_where": "它在你的照片上的激活位置",
    "channel_examples": "让它激活最强的示例裁剪",
    "behind_caption": (
        "### 这个答案背后的通道\n"
        "对所解释类别的 logit 贡献最大的 layer4 通道，每个都显示它在寻找什么，以及它在你的照片上哪里为这个类别加分"
        "（它的激活乘以它对该类别的权重：这些图之和就是它在 logit 中所占的部分）。"
    ),
    "behind_button": "显示这个答案背后的通道",
    "behind_gallery": "答案背后的通道",
    "tab_trust": "这张图可信吗？",
    "trust_intro": (
        "检验所显示的热力图是否真的在解释模型。**合理性检验**（Adebayo 等，2018）：在私有副本上自顶向下逐层重新初始化网络；"
        "如果所解释的层都已随机化而图几乎不变，它就没有在解释模型。**删除与插入**（RISE，Petsiuk 等，2018）："
        "按相关性从高到低从照片中移除像素，或把像素放回空白图中；忠实的图会让类别概率在移除时迅速下降、在插入时迅速上升。"
        "**方法一致性** 对同一图片和类别运行所有快速 CAM 方法，并按这些曲线排序。"
    ),
    "sanity_button": "运行合理性检验",
    "curves_button": "删除与插入曲线",
    "agreement_button": "比较各快速方法",
    "negative_button": "显示反对该类别的证据",
    "layercam_button": "试试 LayerCAM",
    "stages_button": "查看更早的阶段",
    "sanity_gallery": "模型自顶向下、逐层累积随机化后的热力图",
    "curves_plot": "所解释类别的概率",
    "agreement_gallery": "各方法的热力图及其共识（平均）",
    "agreement_matrix": "两两之间的 Spearman 秩相关",
    "agreement_ranking": "按忠实度排序（插入 AUC − 删除 AUC）",
    "rank_intro": (
        "**在多张照片上给方法排名。** 一张照片说明不了哪种方法对这个模型最忠实：这里每种快速方法，以及作为下限的随机图，"
        "都在每张照片上评分（删除与插入），并给出 95% 区间的汇总，与 `python -m resnet evaluate` 对整个文件夹的做法完全相同。"
    ),
    "rank_source": "照片",
    "rank_examples": "示例照片",
    "rank_uploads": "我的照片（最多 20 张）",
    "rank_files": "你的照片",
    "rank_button": "给方法排名",
    "rank_plot": "各方法的平均曲线（带：±1.96 个标准误）",
    "rank_table": "所有照片的汇总",
    "occlusion_button": f"遮挡敏感度图（{occlusion_forwards()} 次前向计算）",
    "occlusion_image": "遮挡敏感度（红：遮住会降低分数）",
    "raw_grid": "ReLU 之前未归一化的 Grad-CAM 7×7 证据（红：支持，蓝：反对；前 5 个类别共用一个标尺）",
    "language": "页面语言",
    "display_caption": "页面上所有热力图的配色和不透明度。",
}


# Texts computed on the server. Keys must be the same in every language (a test checks).
SERVER = {
    "lab_cost": "本机成本：{forwards} 次前向计算（{seconds}），批量进行。",
    "lesion_running": "正在移除残差块：{forwards} 次损伤",
    "lesion_done": "完整网络中 **{name}** 的概率为 {intact:.1%}。去掉一个残差分支（该块传出 relu(x)）时，16 个块中有 "
    "{residual_kept} 个仍保持第一名（平均概率 {residual_mean:.1%}）；去掉一条捷径（relu(F(x))）时为 {shortcut_kept} 个"
    "（平均 {shortcut_mean:.1%}）。同时随机去掉 8 个残差分支：平均 {eight:.1%}。残差网络就像许多较浅路径的集成"
    "（Veit 等，NeurIPS 2016）：捷径位于经过其所在块的每条路径上。",
    "lesion_y": "p({name})",
    "lesion_curve_x": "同时去掉的残差分支数",
    "flow_done": "从最后一个块回到 stem，梯度范数在有捷径时变化 ×{residual:.2g}，没有捷径时变化 ×{plain:.2g}。"
    "没有捷径时同样的权重计算的是另一个函数（每个块输出 relu(F(x))），所以这里显示的是捷径传递了什么，"
    "而不是普通网络本会如何训练。",
    "race_starting": "正在从零训练四个网络，约 {seconds} 秒……",
    "race_running": "正在训练 {model}",
    "race_status": "{model}，第 {epoch} 轮：训练误差 {error:.1%}",
    "race_summary": "最后的训练误差：{errors}。",
    "starting": "ResNet50 解释器正在启动",
    "downloading": "正在把 {name} 权重（约 100 MB）下载到 torch hub 缓存，只需一次。",
    "reloads": "本页每 {seconds} 秒自动刷新。",
    "not_an_image": "这个文件不是可读取的图片（可能是空文件、文档或改了扩展名的文件）。"
    "请上传 JPEG、PNG、WebP、GIF、BMP 或 TIFF 照片。",
    "bomb": "图片太大，无法处理（{detail}）。请缩小到 {limit:,} 像素以下。",
    "over_limit": "图片为 {width}×{height} = {pixels:,} 像素，超过了 {limit:,} 的上限。请缩小图片后重试。",
    "no_pixels": "图片没有像素（{width}×{height}）。",
    "corrupt": "这个 {format} 文件已截断或损坏，无法解码（{detail}）。请重新保存或导出后再上传。",
    "unsupported": "这个 {format} 文件使用了本程序无法读取的特性（{detail}）。"
    "请用图片编辑器打开，另存为标准的 JPEG 或 PNG 后再上传。",
    "no_image": "还没有图片：请上传照片、粘贴图片、用摄像头拍照，或点击一个示例。",
    "cannot_use": "无法使用这张图片",
    "model_line": "<b>模型：</b>{model} · 运行于 {device}",
    "warning": "⚠️ 警告：",
    "untrained": "这些权重是随机的、未经训练：预测和热力图没有意义。详情与解决办法（英文）：{warning}",
    "method_instant": "{method}（即时）",
    "method_seconds": "{method}（本机约 {seconds:.0f} 秒）",
    "method_subsecond": "{method}（< 1 秒）",
    "no_contrast": "（无）",
    "per channel": "每个通道",
    "per stage": "每个阶段",
    "global": "全局",
    "running": "正在运行 ResNet50",
    "road_running": "正在移除像素并重新运行模型（ROAD）",
    "road_yes": "模型依赖于高亮区域",
    "road_no": "看不出模型依赖于高亮区域",
    "road": "**忠实度（ROAD）：{score:+.3f}** — {verdict}。对移除 20–80% 像素的情形取平均："
    "（移除最不相关像素后保留的概率 − 移除最相关像素后保留的概率）/ 2。",
    "logit_summary": "**{name}**：logit {logit:.3f} = {total:.3f}（2048 个通道贡献之和）{bias:+.3f}（偏置）",
    "channel": "通道 {k}",
    "logit_x": "layer4 通道",
    "logit_y": "对 logit 的贡献",
    "blocks_x": "瓶颈块，从输入到输出",
    "blocks_y": "数值",
    "stage_cam": "{stage} 的 Grad-CAM",
    "legend_low": "无证据",
    "legend_high": "最强证据",
    "legend_target": "支持“{a}”",
    "legend_contrast": "支持“{a}”而非“{b}”",
    "live_rate": "{rate:.1f} 帧/秒 · ",
    "live_ms": "服务器上每帧 {ms:.0f} 毫秒",
    "live_locked": " · 热力图锁定在“{name}”",
    "story_intro": "你的图片（第一名：**{name}**，{probability:.1%}）：",
    "story_strongest": "- 改变信号最多的块是 **{block}**：它的残差分支 F(x) 是所加捷径 x 的 {ratio:.2f} 倍。",
    "story_weakest": "- 改变最少的块是 **{block}**（{ratio:.2f} 倍）：在那里捷径几乎原样传递信号。",
    "story_opposing": "- 在 {blocks} 中，修正与信号方向相反（余弦 < 0）：这些块抑制特征。",
    "story_aligned": "- 每个块的修正都与信号同向（余弦 ≥ 0）：每个块都在加强输入的信号。",
    "gradient_x": "输出位置",
    "teach_name": "请先给类别起名。",
    "teach_no_photos": "请至少添加一张照片（上传或摄像头快照）。",
    "teach_too_many_classes": "最多 {most} 个类别。",
    "teach_too_many_photos": "每个类别最多 {most} 张照片；“{name}”会超出。",
    "teach_extracting": "正在用冻结的主干处理照片及其镜像",
    "teach_training": "正在拟合分类头",
    "teach_empty": "还没有类别。",
    "teach_cannot": "无法训练或使用这个分类头：{error}",
    "teach_trained": "**已在 {classes} 个类别上训练。** 在拟合所用照片上的准确率：{train:.0%}。",
    "teach_held_out": "在第一次拟合时留出的 {count} 张照片上：**{accuracy:.0%}**。",
    "teach_no_held_out": "（每个类别至少 3 张照片时，才能测量留出照片上的准确率。）",
    "teach_loaded": "已加载分类头：{classes}。",
    "teach_train_first": "请先训练一个分类头（或上传一个）。",
    "engine_busy": "模型服务器正忙（有一台正在重启）。请过几秒再试。",
    "engine_gone": "模型服务器没有响应。请告诉运行此页面的人，稍后再试。",
    "blur": "图片的模糊版本",
    "mean colour": "图片的平均颜色",
    "whatif_paint_first": "请先在图片上涂抹一部分（画布上的画笔）。",
    "whatif_rank": "名次",
    "whatif_old": "修改前",
    "whatif_new": "修改后",
    "whatif_done": "**{name}**（所解释的类别），图片的 {painted:.1f}% 填充为{fill}：logit {logit_before:.2f} → "
    "{logit_after:.2f}（{logit_change:+.2f}），概率 {p_before:.1f}% → {p_after:.1f}%（{p_change:+.1f} 个百分点）。",
    "unreadable": "这个文件无法作为视频读取：可能已损坏、被截断或不是视频（{detail}）。请上传 MP4、WebM、MOV 或 AVI 视频。",
    "no_video": "这个文件没有视频轨道（只有 {streams}）。请上传带画面的视频。",
    "undecodable": "无法解码这段视频的 {codec} 编码（{detail}）。请重新导出为 H.264 MP4 后上传。",
    "crashed": "视频解码器在处理这段视频时停止了工作（{detail}）；视频可能已损坏。请重新导出为 H.264 MP4 后上传。",
    "stalled": "解码这段视频 {seconds:.0f} 秒没有任何进展，已被停止。请重新导出为 H.264 MP4 后上传。",
    "empty": "这段视频没有可以解码的帧。",
    "too_long": "视频长 {seconds:.1f} 秒，超过了 {limit:.0f} 秒的上限。请剪短后重新上传。",
    "too_big": "文件大小 {mb:.1f} MB，超过了 {limit_mb:.0f} MB 的上限。请剪短或压缩视频。",
    "frames_too_large": "视频帧为 {width}×{height}，超过了 {limit:,} 像素的上限。请以较低分辨率（1080p 或以下）导出。",
    "video_none": "还没有视频：请上传视频或用摄像头录制一段。",
    "video_cannot_use": "无法使用这段视频",
    "video_gone": "服务器上已没有这段视频（上传的文件保留 10 分钟）。请重新上传。",
    "video_starting": "正在以每秒 {fps:.1f} 帧解释约 {frames} 帧……",
    "video_progress": "已完成 {done} / 约 {total} 帧 · 约剩 {eta:.0f} 秒",
    "video_progress_open": "已完成 {done} 帧",
    "video_done": "在 {seconds:.1f} 秒内解释了 **{frames}** 帧（每秒视频 {fps:.1f} 帧）：每秒 {per_s:.1f} 帧，"
    "含解码、批量解释、绘制和编码。",
    "video_stopped": "⚠️ 视频提前结束：{why}。此前的帧已被解释。",
    "video_frame_info": "第 {position} / {count} 个被解释的帧（视频的第 {index} 帧，{time:.2f} 秒处）；其第一名的 {method}。",
    "teach_table": "| 类别 | 照片 |\n| --- | ---: |\n{rows}",
    "gradient_y": "log₁₀ ‖∂ logit({name}) / ∂ 输出‖",
    "kernel_numbers": "卷积核需要 9 个数：3 行，每行 3 个。",
    "identity": "恒等：就是 x 本身（形状相同）",
    "pool_worked": "**手算一个最大池化窗口**（通道 {k}，输出位置 ({row}, {col})，其最大值）：它下方 {before} "
    "特征图中的 3×3 窗口（−∞：填充）\n\n{patch}\n\n最大值 = **{result:.3f}**，即 {after} 输出在 ({row}, {col}) 处的值。",
    "conv_worked": "**手算一个输出值**（你的卷积核位于中心，第 112 行第 112 列）：卷积核下方的灰度值\n\n{patch}\n\n"
    "乘以卷积核\n\n{kernel}\n\n得到\n\n{products}\n\n它们的和 **{result:+.3f}** 就是该处的输出。\n\n"
    "**输出尺寸** = ⌊(输入 + 2·填充 − 卷积核) / 步幅⌋ + 1，并与你的照片在主干中的真实形状核对：\n\n"
    "| 层 | 卷积核 | 步幅 | 填充 | 输入 | 公式 | 真实输出 |\n| --- | ---: | ---: | ---: | ---: | --- | ---: |\n{shapes}",
    "block_numbers": "**{block}**，通道 {k}：输入 x {x_shape} → 输出 {out_shape}；捷径：{shortcut}。\n\n"
    "| 张量 | 形状 | 均值 | 最小值 | 最大值 | ‖·‖ |\n| --- | --- | ---: | ---: | ---: | ---: |\n{rows}",
    "trust_costs": "本机成本：合理性检验 {sanity:.0f} 次前向计算（{sanity_s}），曲线 {curves} 次"
    "（{curves_s}），方法比较 {agreement:.0f} 次（{agreement_s}）。",
    "occlusion_running": "正在用灰色方块遮挡图像，共 {forwards} 个位置",
    "occlusion_done": "**“{name}”的遮挡敏感度**（{forwards} 次前向计算：32 像素的灰色方块，每 16 像素移动一次）：红色表示遮住该处会"
    "降低该类别的 logit，蓝色表示会提高；最大下降为 {most:.3f}。",
    "sanity_running": "正在逐层随机化模型的私有副本",
    "sanity_original": "原图",
    "sanity_step": "随机化至 {layer} · ρ {rho:+.2f} · SSIM {ssim:.2f}",
    "sanity_pass": "**通过。** 分类层 `fc` 一旦随机化、以及 `layer4` 也随机化后，{method} 热力图都不再像原图"
    "（|Spearman ρ| < {threshold}）：这张图依赖于模型学到的权重。",
    "sanity_fail": "**未通过。** 以下部分随机化后 {method} 热力图仍然像原图（|Spearman ρ| ≥ {threshold}）：{layers}。"
    "在其所解释的层被随机化后仍然不变的图并没有在解释模型；应把它看作图像结构的描绘，而不是决策的解释。",
    "curves_running": "正在移除和插入像素（批量前向计算）",
    "deletion": "删除",
    "insertion": "插入",
    "curves_x": "按相关性从高到低移除 / 插入的像素比例",
    "curves_y": "概率",
    "curves_text": "🟦 删除 · 🟧 插入。**{name}**：删除 AUC **{deletion:.3f}**（越低越好），插入 AUC **{insertion:.3f}**（越高越好），"
    "共 {steps} 步。被移除的像素取 ImageNet 平均颜色（归一化后为 0）；插入从该颜色的图像开始。",
    "agreement_running": "正在运行 {method}",
    "consensus": "共识",
    "rank_method": "方法",
    "rank_gap": "插入 − 删除",
    "rank_insertion": "插入 AUC",
    "rank_deletion": "删除 AUC",
    "rank_cost": "本机成本：{photos} 张照片 ×（{methods} 种方法加一张随机图）≈ {forwards:.0f} 次前向计算（{seconds}）。",
    "rank_no_photos": "请选择用来给方法排名的照片（或使用示例照片）。",
    "rank_too_many": "最多选择 {limit} 张照片（给了 {count} 张）。",
    "rank_running": "第 {done} 张，共 {total} 张",
    "rank_none_readable": "这些文件都无法作为照片读取。请上传 JPEG、PNG 或 WebP 照片。",
    "rank_columns": "方法|指标|均值|95% 区间|名次|胜过随机图",
    "rank_best": "按插入曲线，这里最忠实的是：**{method}**。",
    "rank_all_beat_random": "每种方法在两条曲线上都胜过随机图。",
    "rank_not_beating_random": "**在这里并不比随机图更好：** {methods}。",
    "rank_skipped": "已跳过（无法读取）：{files}。",
    "diagnosis_ok": "ReLU 之前的证据：支持该类别最强的格子 {positive:+.3f}，反对最强 {negative:.3f}；"
    "所有格子之和为 {total:+.3f}（不含偏置的 logit）。",
    "diagnosis_empty": "**热力图是空的：** layer4 没有任何格子*支持*“{name}”（支持最强 {positive:+.3f}，反对最强 "
    "{negative:.3f}），所以 Grad-CAM 的 ReLU 之后什么也不剩，缩放后的图没有意义。试试反对该类别的证据、LayerCAM，"
    "或更早的阶段（见下方按钮）。",
    "against": "反对“{name}”",
    "table_part": "部分",
    "table_blocks": "瓶颈块",
    "table_output": "输出（C×H×W）",
    "table_params": "参数量",
    "table_gmacs": "乘加（十亿次）",
    "table_gflops": "GFLOPs",
    "table_head": "头部",
    "table_total": "合计",
    "table_logits": "1000 个 logit",
    "table_note": "GFLOPs 统计浮点运算次数，每次乘加算两次。torchvision 的模型说明给出 ResNet50 为 4.09 “GFLOPS”："
    "那个数字统计的是乘加次数，即前一列。",
    "empty_tab_explain": "在上方选择一张照片后，{label}将显示在这里：上传照片、用摄像头拍一张，或点击一个示例。",
    "empty_tab_features": "上方面板解释一张照片后，{label}将显示在这里。",
    "empty_tab_stages": "上方面板解释一张照片后，{label}将显示在这里。",
    "empty_tab_blocks": "上方面板解释一张照片后，{label}将显示在这里。",
    "empty_tab_logit": "上方面板解释一张照片后，{label}将显示在这里。",
    "sentence_gap": "",  # between sentences
    "channel_bad_layer": "请从菜单中选择一层：stem 或 16 个残差块之一。",
    "channel_bad": "{layer} 的通道编号为 0 到 {last}，请从中选择。",
    "channel_wait": "正在为这个通道优化图片：{seconds}（以前生成过的图片会立即打开）…",
    "channel_done": "**{layer} · 通道 {k}**：它的图片使该通道的平均激活达到 {value:.2f}。",
    "channel_on_photo": "在你的照片上，它的平均值为 {mean:.2f}，峰值为 {peak:.2f}。",
    "channel_no_photo": "在上方解释一张照片，即可看到它在照片上的激活位置。",
    "channel_share": "它在 *{name}* 的 logit 中所占的部分：{share:+.3f}。",
    "channel_where_caption": "{layer} · 通道 {k}",
    "behind_wait": "正在为对 *{name}* 贡献最大的 {count} 个通道优化图片：{seconds}…",
    "behind_done": "对 *{name}* 贡献最大的 {count} 个通道合计贡献其 logit 的 {total:+.2f}。",
    "behind_picture": "通道 {k} · {value:+.2f}：它在寻找什么",
    "behind_where": "通道 {k}：它在哪里为{name}加分",
    "empty_tab_channels": "在本标签页中按下其上方的按钮后，{label}将显示在这里。",
    "empty_tab_trust": "按下本页对应的按钮后，{label}将显示在这里。",
    "empty_tab_whatif": f"在照片上涂掉一部分并按“{STATIC['whatif_button']}”后，{{label}}将显示在这里。",
    "empty_tab_live": "摄像头推流时，{label}将显示在这里：请按摄像头的录制按钮。",
    "empty_tab_video": f"上传或录制一段视频并按“{STATIC['video_button']}”后，{{label}}将显示在这里。",
    "empty_tab_learn": "上方面板解释一张照片后，{label}将显示在这里。",
    "empty_tab_lab": "按下所在小节的按钮后，{label}将显示在这里。",
    "empty_tab_teach": "用你自己的类别训练后，{label}将显示在这里。",
    "empty_occlusion_image": "按下方的遮挡按钮后，遮挡敏感度图将显示在这里。",
    "empty_whatif_before": "上方面板解释一张照片后，原来的热力图将显示在这里。",
    "a11y_position": "第 {i} 张，共 {n} 张",
    "a11y_example": "示例照片：{name}",
    "a11y_image": "图片",
    "a11y_table": "表格",
    "a11y_result": "结果",
    "about_seconds": "约 {seconds:.0f} 秒",
    "under_a_second": "不到 1 秒",
    "race_x": "训练轮次",
    "race_y": "训练误差",
    "timeline_x": "时间（秒）",
    "timeline_y": "概率",
    "weights_pretrained": "ResNet50 · {name} · 首选准确率 {top1:.1f}%",
    "weights_custom": "ResNet50 · 自定义权重 {hash}（{file}）",
    "weights_random": "ResNet50 · 随机权重（随机种子 {seed}）· 未经训练",
    "preset_edges": "边缘",
    "preset_vertical_edges": "竖直边缘",
    "preset_sharpen": "锐化",
    "preset_blur": "模糊",
    "tensor_shortcut": "捷径(x)",
    "tensor_out": "relu(F(x) + 捷径(x))",
    "projection": "1×1 卷积 {c_in}→{c_out}，步幅 {stride}，然后 BatchNorm",
}

# Words Gradio writes into the page without a translation key: {its English: the page's words}.
GRADIO_WORDS = {
    "Click to Access Webcam": "点击以使用摄像头",
    "processing |": "处理中 |",
    "queue:": "排队：",
}

"""Every text of the page in English: ``STATIC`` labels (translated in the browser by Gradio's
i18n) and ``SERVER`` texts (made by the handlers in the page's language)."""

from __future__ import annotations

from resnet.cams.methods import METHODS
from resnet.cams.occlusion import occlusion_forwards
from resnet.core.preprocess import IMAGE_ERRORS
from resnet.video.frames import BATCH_SIZE, MAX_BYTES, MAX_SECONDS, VIDEO_ERRORS

STATIC = {
    # Gradio's own words that its Chinese translation lacks (looked up by these keys)
    "common.complete": "Complete",
    "status.queue_position": "In queue: {position} of {size}",
    "image_editor.select_draw_tool": "select the draw tool to start",
    "intro": (
        "# ResNet50 Explainer\n"
        "See what a ResNet50 trained on ImageNet-1k thinks your image shows, where it looked "
        f"(Grad-CAM and {len(METHODS) - 1} other CAM methods), what each residual stage and block does, and "
        "which channels make up the score.\n\n"
        "**Start here:** upload a photo (or click an example) and press **Explain**; then open the tabs below "
        "to look deeper."
    ),
    "group_inside": "Inside",
    "group_test": "Check",
    "group_motion": "Motion",
    "group_learn": "Learn",
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
    "tab_features": "Features",
    "channels": "Channels per stage",
    "colour_scale": "Colour scale",
    "features": "The most active channels of the stem and each residual stage (one pixel per activation)",
    "tab_stages": "Stages",
    "stages_caption": "Grad-CAM of the chosen class at the output of each stage, from one backward pass.",
    "stages": "layer1 .. layer4",
    "tab_blocks": "Blocks",
    "blocks_caption": (
        "Each bottleneck block computes **output = relu(F(x) + x)**: the shortcut carries x through "
        "unchanged and the residual branch F adds a correction. **‖F(x)‖ / ‖x‖** (the shortcut's size) says how big "
        "that correction is (near 0: the block barely changes the signal); **cos(F(x), x)** says whether it "
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
    "lesson_conv": (
        "## 1 · Convolution, on your photo\n"
        "A convolution slides a small kernel over the image; at each position it multiplies the kernel with the "
        "pixels under it and adds the products up. ResNet50's first layer, **conv1**, has 64 learned 7×7 "
        "kernels (one per output channel, each over the 3 colour channels), slid with stride 2 and padding 3."
    ),
    "kernels": "The 64 learned 7×7 kernels of conv1 (colours: each kernel's weights, scaled on their own)",
    "kernel_pick": "Kernel (output channel of conv1)",
    "kernel_response": "Its response on your photo: conv1's output channel (112×112; red +, blue −)",
    "kernel_preset": "A 3×3 kernel of your own: start from",
    "kernel_numbers": "Its numbers (edit them)",
    "kernel_result": "Your kernel on the grey-level photo (stride 1, padding 1; red +, blue −)",
    "lesson_pool": (
        "## 2 · Pooling, BatchNorm and ReLU, on your photo\n"
        "After conv1 the stem normalises each channel (**BatchNorm**: subtract a learned mean, divide by a learned "
        "spread, then scale and shift), keeps only the positive values (**ReLU**), and **max-pools**: each output is "
        "the largest value in a 3×3 window, moved with stride 2, so the maps shrink from 112×112 to 56×56."
    ),
    "pool_before": "The chosen kernel's channel before max-pooling (after ReLU)",
    "pool_after": "…and after it",
    "histograms": "All values of the stem on your photo: after conv1, after BatchNorm (bn1), after ReLU",
    "lesson_block": (
        "## 3 · One residual block, opened\n"
        "Pick a block and a channel: the block's input x, its residual branch F(x), the shortcut, and the output "
        "relu(F(x) + shortcut(x)), with their numbers. Below: how strong the gradient of the class score is at the "
        "output of the stem and of every block, when it is back-propagated from the score."
    ),
    "lesson_block_choice": "Block",
    "lesson_channel": "Channel",
    "block_tensors": "x, F(x), shortcut(x) and the output, one channel (red +, blue −)",
    "gradient_plot": "‖gradient of the class score‖ at each block's output",
    "live_yours": "Use your classes (taught in the Teach tab)",
    "live_smoothing": "Smoothing of the heatmap over frames (0: none)",
    "live_lock": "Lock the explained class",
    "live_freeze": "Freeze this frame and analyse it",
    "tab_whatif": "What if?",
    "whatif_intro": (
        "Test the heatmap by changing the picture. Paint over part of the crop the model saw (the brush), choose how "
        "the painted pixels are filled (a strong blur of the picture, or its mean colour), and press **See what the "
        "model does without it**: one forward pass gives the new top-5 beside the old, the change in the explained "
        "class's logit and probability, and its new Grad-CAM. If the heatmap is right, hiding its hot spot should "
        "cost the class much more than hiding a cold one. Below, the occlusion-sensitivity map does the same for "
        "every position of a small grey patch."
    ),
    "whatif_editor": "Paint over what to hide (the 224×224 crop the model saw, shown twice as large)",
    "whatif_fill": "Fill the painted pixels with",
    "whatif_button": "See what the model does without it",
    "whatif_before": "As it was: Grad-CAM of the explained class",
    "whatif_after": "Edited: Grad-CAM of the same class",
    "whatif_table": "Top-5 before and after",
    "explain_yours": "Your classes (taught in the Teach tab)",
    "tab_video": "Video",
    "video_caption": (
        f"Upload a clip (MP4, WebM, MOV or AVI) or record one with your webcam, then press **Explain video**. "
        f"Its frames are sampled (at most the rate you choose), explained in batches of {BATCH_SIZE}, and you get a "
        "video with the Grad-CAM overlay and the top-1 class on every explained frame, a timeline of the most "
        "likely classes, and any frame opened in full. "
        f"**Limits:** {MAX_SECONDS:.0f} s and {MAX_BYTES // 2**20} MB per clip; frames up to 4K. One clip is "
        "explained at a time on this server (others wait in line); **Stop** ends it after the current batch."
    ),
    "video_in": "Your clip",
    "video_example": "A sample clip (4 s: a cat, then a cup of coffee)",
    "video_fps": "Frames explained per second of video (at most; a slower clip keeps all its frames)",
    "video_yours": "Use your classes (taught in the Teach tab)",
    "video_button": "Explain video",
    "video_stop": "Stop",
    "video_cam": "Grad-CAM and top-1 on every explained frame",
    "video_timeline": "Probability of the most likely classes over time",
    "video_frame": "Open an explained frame",
    "video_frame_heatmap": "That frame's Grad-CAM",
    "video_frame_labels": "That frame's top-5",
    "video_analyse": "Analyse this frame in full (Explain panel)",
    "tab_lab": "Residual lab",
    "lab_intro": (
        "**Why shortcuts work.** Each residual block computes relu(F(x) + x): the shortcut carries x, and the "
        "gradient with it, straight past the block's layers. Three experiments on your photo and in a training "
        "race show what that buys: remove parts of the network and see what survives, follow the gradient of "
        "the class score with and without shortcuts, and train plain and residual networks from scratch."
    ),
    "lesion_button": "Remove blocks (lesions)",
    "lesion_plot": "The class's probability with one block's F(x) removed (relu(x)) or its shortcut removed (relu(F(x)))",
    "lesion_curve": "…with k random residual branches removed at once (mean ± σ over 8 draws)",
    "flow_button": "Gradient with and without shortcuts (2 backward passes)",
    "flow_plot": "log₁₀ ‖gradient of the class score‖ at each block's output",
    "race_caption": (
        "**The training race** (He et al., CVPR 2016, Fig. 1): CIFAR-style networks (3 stages of n basic blocks, "
        "16/32/64 channels, depth 6n + 2) trained from scratch on scikit-learn's handwritten digits, plain and "
        "residual, 20 and 56 layers deep, the same weights at the start and the same batches. The deeper *plain* "
        "network trains worse than the shallower one; the deeper ResNet does not. The curves below are the mean "
        "of three seeds (`python -m resnet race --depths 20,56 --epochs 15 --seed 0,1,2`)."
    ),
    "race_plot": "Training error by epoch (mean of 3 seeds)",
    "race_button": "Run a short race here (about a minute)",
    "race_stop": "Stop",
    "race_live_plot": "Your race: training error by epoch",
    "tab_teach": "Teach",
    "teach_intro": (
        "Teach ResNet50 classes of your own, the way practitioners start (transfer learning): the network stays "
        "frozen, each photo (and its mirror image) becomes its 2048 pooled layer4 features, and a linear head "
        "(logistic regression) is fitted on them in seconds. Name a class, add its photos (upload or webcam), "
        "repeat for 2 to 10 classes (at most 30 photos each; 3 or more per class also measure the accuracy on "
        "photos left out), and press Train. The head is yours alone: it stays in this page, and you can "
        "download it and upload it again later."
    ),
    "teach_class": "Class name",
    "teach_photos": "Its photos",
    "teach_add": "Add these photos to the class",
    "teach_snapshot": "…or a webcam snapshot",
    "teach_add_snapshot": "Add the snapshot to the class",
    "teach_examples": "Try it with the example photos (3 classes from crops of them)",
    "teach_clear": "Start over",
    "teach_button": "Train",
    "teach_download": "Your head (safetensors)",
    "teach_upload": "Upload a head file",
    "teach_try": "Try your classes on a photo",
    "teach_try_button": "Explain with your classes",
    "teach_labels": "Your classes",
    "teach_heatmap": "Grad-CAM of your top class",
    "tab_logit": "Logits",
    "logit_caption": (
        "ResNet50's score for a class is a sum over the 2048 channels of layer4: "
        "**logit = Σₖ fc.weight[class, k] × mean(channel k) + bias**. The chart shows the channels "
        "that push this score up (positive) and down (negative) most; the maps show where in the "
        "image those channels fire."
    ),
    "logit_plot": "Channel contributions",
    "logit_maps": "Those channels' layer4 maps",
    "tab_channels": "Channels",
    "channels_caption": (
        "What does one channel look for? Its **feature visualization** is a picture optimized to make the "
        "channel fire as hard as it can (its pixels are a smooth Fourier spectrum, nudged by gradient ascent "
        "while jittered, zoomed and turned, so the picture must work wherever the network looks). Below it: "
        "the example photos' crops where the channel fires most (each crop is what that position can see, its "
        "receptive field), and where it fires on your photo. Pick a layer and a channel, or click a map in "
        "the Logits tab. A picture takes seconds to make; one made before opens at once."
    ),
    "channel_layer": "Layer: the stem or a block (a stage's last block is its output)",
    "channel_index": "Channel",
    "channel_button": "Show what this channel looks for",
    "channel_picture": "What it looks for (optimized picture)",
    "channel_where": "Where it fires on your photo",
    "channel_examples": "Example crops that make it fire most",
    "behind_caption": (
        "### The channels behind this answer\n"
        "The layer4 channels that add most to the explained class's logit, each with what it looks for and "
        "where on your photo it adds to this class (its activation times its weight for the class: these "
        "maps sum to its part of the logit)."
    ),
    "behind_button": "Show the channels behind this answer",
    "behind_gallery": "Channels behind the answer",
    "tab_trust": "Trust this map?",
    "trust_intro": (
        "Tests that the heatmap shown really explains the model. **Sanity check** (Adebayo et al., 2018): "
        "the network is re-initialised top-down, layer by layer, on a private copy; a map that stays the "
        "same while the layers it explains become random is not explaining the model. **Deletion and "
        "insertion** (RISE, Petsiuk et al., 2018): pixels are removed from the photo, or put back into a "
        "blank one, most relevant first; a faithful map makes the class's probability fall fast when "
        "they go and rise fast when they come. **Method agreement** runs every quick CAM method on the "
        "same image and class and ranks them by those curves."
    ),
    "sanity_button": "Run the sanity check",
    "curves_button": "Deletion and insertion curves",
    "agreement_button": "Compare the quick methods",
    "negative_button": "Show what argues against the class",
    "layercam_button": "Try LayerCAM",
    "stages_button": "See the earlier stages",
    "sanity_gallery": "The map as the model is randomized, top-down and cumulatively",
    "curves_plot": "Probability of the explained class",
    "agreement_gallery": "Each method's map, and their consensus (mean)",
    "agreement_matrix": "Pairwise Spearman rank correlation",
    "agreement_ranking": "Ranked by faithfulness (insertion AUC − deletion AUC)",
    "rank_intro": (
        "**Rank the methods over several photos.** One photo does not say which method is most faithful "
        "for this model: here every quick method, and a random map as the floor, is scored on each photo "
        "(deletion and insertion) and summarised with 95% intervals, exactly as `python -m resnet evaluate` "
        "does for a whole folder."
    ),
    "rank_source": "Photos",
    "rank_examples": "the example photos",
    "rank_uploads": "my photos (up to 20)",
    "rank_files": "Your photos",
    "rank_button": "Rank the methods",
    "rank_plot": "Mean curves per method (bands: ±1.96 standard errors)",
    "rank_table": "Summary over the photos",
    "occlusion_button": f"Occlusion sensitivity map ({occlusion_forwards()} forward passes)",
    "occlusion_image": "Occlusion sensitivity (red: covering it lowers the score)",
    "raw_grid": "Grad-CAM's 7×7 evidence before the ReLU, un-normalised (red: for, blue: against; one scale for all top-5 classes)",
    "language": "Page language",
    "display_caption": "Colours and opacity of every heatmap on the page.",
}


# Texts computed on the server. Keys must be the same in every language (a test checks).
SERVER = {
    **IMAGE_ERRORS,
    "starting": "ResNet50 Explainer is starting",
    "downloading": "Downloading the {name} weights (about 100 MB) into the torch hub cache, once.",
    "reloads": "This page reloads itself every {seconds} s.",
    "lab_cost": "Cost here: {forwards} forward passes ({seconds}), batched.",
    "lesion_running": "Removing blocks: {forwards} lesions",
    "lesion_done": "**{name}** has probability {intact:.1%} in the intact network. Without one residual branch "
    "(the block passes relu(x) on) it stays the top-1 for {residual_kept} of 16 blocks (mean probability "
    "{residual_mean:.1%}); without one shortcut (relu(F(x))) for {shortcut_kept} of 16 (mean {shortcut_mean:.1%}). "
    "With 8 random residual branches gone at once: {eight:.1%} on average. A residual network behaves like an "
    "ensemble of shallower paths (Veit et al., NeurIPS 2016): a shortcut is on every path through its block.",
    "lesion_y": "p({name})",
    "lesion_curve_x": "residual branches removed at once",
    "flow_done": "From the last block back to the stem the gradient's norm changes by ×{residual:.2g} with the "
    "shortcuts and by ×{plain:.2g} without them. Without shortcuts the same weights compute another function "
    "(each block outputs relu(F(x))), so this shows what the shortcuts carry, not how a plain network would have "
    "trained.",
    "race_starting": "Training four networks from scratch, about {seconds} s…",
    "race_running": "Training {model}",
    "race_status": "{model}, epoch {epoch}: training error {error:.1%}",
    "race_summary": "Training error at the end: {errors}.",
    "no_image": "No image yet: upload a photo, paste one, take a webcam snapshot, or click an example.",
    "cannot_use": "Cannot use this image",
    "model_line": "<b>Model:</b> {model} · running on {device}",
    "warning": "⚠️ Warning:",
    "untrained": "{warning}",
    "method_instant": "{method} (instant)",
    "method_seconds": "{method} (≈ {seconds:.0f} s here)",
    "method_subsecond": "{method} (< 1 s)",
    "no_contrast": "(none)",
    "per channel": "per channel",
    "per stage": "per stage",
    "global": "global",
    "running": "Running ResNet50",
    "road_running": "Removing pixels and re-running the model (ROAD)",
    "road_yes": "the model relies on the highlighted region",
    "road_no": "no clear reliance on the highlighted region",
    "road": "**Faithfulness (ROAD): {score:+.3f}** — {verdict}. Average over removing 20–80% of the pixels of "
    "(probability kept when the least relevant pixels go − probability kept when the most relevant go) / 2.",
    "logit_summary": "**{name}**: logit {logit:.3f} = {total:.3f} (sum of 2048 channel contributions) "
    "{bias:+.3f} (bias)",
    "channel": "ch {k}",
    "logit_x": "layer4 channel",
    "logit_y": "contribution to the logit",
    "blocks_x": "bottleneck block, input to output",
    "blocks_y": "value",
    "stage_cam": "{stage} · Grad-CAM",
    "legend_low": "no evidence",
    "legend_high": "strongest evidence",
    "legend_target": "for “{a}”",
    "legend_contrast": "for “{a}” and not “{b}”",
    "live_rate": "{rate:.1f} frames/s · ",
    "live_ms": "{ms:.0f} ms per frame on the server",
    "live_locked": " · heatmap locked on “{name}”",
    "story_intro": "For your image (top-1: **{name}**, {probability:.1%}):",
    "story_strongest": "- The block that changed the signal most is **{block}**: its residual branch F(x) is "
    "{ratio:.2f}× as large as the shortcut x it adds to.",
    "story_weakest": "- The block that changed it least is **{block}** ({ratio:.2f}×): there the shortcut "
    "carries the signal almost unchanged.",
    "story_opposing": "- In {blocks} the correction points against the signal (cosine < 0): these blocks "
    "suppress features.",
    "story_aligned": "- Every block's correction points along the signal (cosine ≥ 0): each one reinforces "
    "what came in.",
    "gradient_x": "output of",
    "teach_name": "Name the class first.",
    "teach_no_photos": "Add at least one photo (upload, or take a webcam snapshot).",
    "teach_too_many_classes": "At most {most} classes.",
    "teach_too_many_photos": "At most {most} photos per class; “{name}” would have more.",
    "teach_extracting": "Running the frozen backbone on the photos and their mirror images",
    "teach_training": "Fitting the head",
    "teach_empty": "No classes yet.",
    "teach_cannot": "Cannot teach or use this head: {error}",
    "teach_trained": "**Trained on {classes} classes.** Accuracy on the photos it was fitted on: {train:.0%}.",
    "teach_held_out": "On the {count} photos left out of a first fit: **{accuracy:.0%}**.",
    "teach_no_held_out": "(Give every class at least 3 photos to measure accuracy on photos left out.)",
    "teach_loaded": "Head loaded: {classes}.",
    "teach_train_first": "Train a head first (or upload one).",
    "engine_busy": "The model's servers are busy (one is restarting). Please try again in a few seconds.",
    "engine_gone": "The model's servers do not answer. Please tell whoever runs this page; try again later.",
    **VIDEO_ERRORS,
    "blur": "a blur of the picture",
    "mean colour": "the picture's mean colour",
    "whatif_paint_first": "Paint over part of the picture first (the brush on the canvas).",
    "whatif_rank": "rank",
    "whatif_old": "before",
    "whatif_new": "after",
    "whatif_done": "**{name}** (the explained class) with {painted:.1f}% of the picture filled with {fill}: logit "
    "{logit_before:.2f} → {logit_after:.2f} ({logit_change:+.2f}), probability {p_before:.1f}% → {p_after:.1f}% "
    "({p_change:+.1f} points).",
    "video_none": "No clip yet: upload a video or record one with the webcam.",
    "video_cannot_use": "Cannot use this clip",
    "video_gone": "The clip is no longer on the server (uploads are kept 10 minutes). Upload it again.",
    "video_starting": "Explaining about {frames} frames at {fps:.1f} frames/s…",
    "video_progress": "{done} of about {total} frames · about {eta:.0f} s left",
    "video_progress_open": "{done} frames so far",
    "video_done": "Explained **{frames}** frames ({fps:.1f} per second of video) in {seconds:.1f} s: "
    "{per_s:.1f} frames/s, decoding, batched explaining, drawing and encoding included.",
    "video_stopped": "⚠️ The clip ended early: {why}. The frames before that point were explained.",
    "video_frame_info": "Frame {position} of {count} explained (frame {index} of the clip, at {time:.2f} s); "
    "{method} of its top-1.",
    "teach_table": "| class | photos |\n| --- | ---: |\n{rows}",
    "gradient_y": "log₁₀ ‖∂ logit({name}) / ∂ output‖",
    "kernel_numbers": "The kernel needs 9 numbers, 3 rows of 3.",
    "identity": "identity: x itself (same shape)",
    "pool_worked": "**One max-pooling window worked out** (channel {k}, output position ({row}, {col}), its "
    "largest value): the 3×3 window of the {before} map under it (−∞: padding)\n\n{patch}\n\nmax = "
    "**{result:.3f}**, the value at ({row}, {col}) of the {after} output.",
    "conv_worked": "**One output value worked out** (your kernel at the centre, row 112, column 112): the grey "
    "levels under the kernel\n\n{patch}\n\ntimes the kernel\n\n{kernel}\n\ngives\n\n{products}\n\nand "
    "their sum, **{result:+.3f}**, is the output there.\n\n**Output size** = ⌊(input + 2·padding − kernel) / "
    "stride⌋ + 1, checked against the stem's real shapes on your photo:\n\n| layer | kernel | stride | padding | "
    "input | formula | real output |\n| --- | ---: | ---: | ---: | ---: | --- | ---: |\n{shapes}",
    "block_numbers": "**{block}**, channel {k}: input x {x_shape} → output {out_shape}; shortcut: {shortcut}.\n\n"
    "| tensor | shape | mean | min | max | ‖·‖ |\n| --- | --- | ---: | ---: | ---: | ---: |\n{rows}",
    "trust_costs": "Cost here: sanity check {sanity:.0f} forward passes ({sanity_s}), curves {curves} "
    "({curves_s}), method comparison {agreement:.0f} ({agreement_s}).",
    "occlusion_running": "Covering the image with a grey patch, {forwards} positions",
    "occlusion_done": "**Occlusion sensitivity of “{name}”** ({forwards} forward passes: a 32-pixel grey patch every "
    "16 pixels): red where covering the image lowers the class's logit, blue where it raises it; the largest "
    "drop is {most:.3f}.",
    "sanity_running": "Randomizing a private copy of the model, layer by layer",
    "sanity_original": "original",
    "sanity_step": "random up to {layer} · ρ {rho:+.2f} · SSIM {ssim:.2f}",
    "sanity_pass": "**Passes.** As soon as the classifier `fc` is random, and again once `layer4` is, the {method} "
    "map no longer resembles the original (|Spearman ρ| < {threshold}): it depends on the model's learned weights.",
    "sanity_fail": "**Fails.** The {method} map still resembles the original (|Spearman ρ| ≥ {threshold}) after "
    "these were randomized: {layers}. A map that survives randomization of the layers it claims to explain "
    "is not explaining the model; read it as a picture of the image's structure, not of the decision.",
    "curves_running": "Removing and inserting pixels (batched forward passes)",
    "deletion": "deletion",
    "insertion": "insertion",
    "curves_x": "fraction of pixels removed / inserted, most relevant first",
    "curves_y": "probability",
    "curves_text": "🟦 deletion · 🟧 insertion. **{name}**: deletion AUC **{deletion:.3f}** (lower is better), insertion AUC **{insertion:.3f}** "
    "(higher is better), {steps} steps. Removed pixels take the ImageNet mean colour (0 after normalisation); "
    "insertion starts from an image of that colour.",
    "agreement_running": "Running {method}",
    "consensus": "consensus",
    "rank_method": "method",
    "rank_gap": "insertion − deletion",
    "rank_insertion": "insertion AUC",
    "rank_deletion": "deletion AUC",
    "rank_cost": "Cost here: {photos} photos × ({methods} methods and a random map) ≈ {forwards:.0f} forward "
    "passes ({seconds}).",
    "rank_no_photos": "Choose some photos to rank the methods on (or the example photos).",
    "rank_too_many": "Choose at most {limit} photos ({count} were given).",
    "rank_running": "Photo {done} of {total}",
    "rank_none_readable": "None of these files could be read as a photo. Upload JPEG, PNG or WebP photos.",
    "rank_columns": "method|metric|mean|95% interval|rank|beats a random map",
    "rank_best": "Most faithful by insertion here: **{method}**.",
    "rank_all_beat_random": "Every method beats a random map on both curves.",
    "rank_not_beating_random": "**Not better than a random map here:** {methods}.",
    "rank_skipped": "Skipped (unreadable): {files}.",
    "diagnosis_ok": "Evidence before the ReLU: strongest cell for the class {positive:+.3f}, against it "
    "{negative:.3f}; the cells sum to {total:+.3f} (the logit without its bias).",
    "diagnosis_empty": "**The map is empty:** no cell of layer4 speaks *for* “{name}” (strongest for it "
    "{positive:+.3f}, against it {negative:.3f}), so Grad-CAM's ReLU leaves nothing and the scaled map is "
    "meaningless. Try what argues against the class, LayerCAM, or the earlier stages (buttons below).",
    "against": "against “{name}”",
    "table_part": "part",
    "table_blocks": "bottleneck blocks",
    "table_output": "output (C×H×W)",
    "table_params": "parameters",
    "table_gmacs": "G multiply-adds",
    "table_gflops": "GFLOPs",
    "table_head": "head",
    "table_total": "total",
    "table_logits": "1000 logits",
    "table_note": "GFLOPs count floating-point operations, two per multiply-add. torchvision's model card "
    "gives 4.09 “GFLOPS” for ResNet50: that figure counts multiply-adds, the column before.",
    "empty_tab_explain": "{label} appears here once you choose a photo above: upload one, take a webcam snapshot or click an example.",
    "empty_tab_features": "{label} appears here once a photo is explained in the panel above.",
    "empty_tab_stages": "{label} appears here once a photo is explained in the panel above.",
    "empty_tab_blocks": "{label} appears here once a photo is explained in the panel above.",
    "empty_tab_logit": "{label} appears here once a photo is explained in the panel above.",
    "sentence_gap": " ",  # between sentences
    "channel_bad_layer": "Choose a layer from the menu: the stem or one of the 16 blocks.",
    "channel_bad": "{layer} has channels 0 to {last}; choose one of them.",
    "channel_wait": "Optimizing a picture for this channel: {seconds} (pictures made before open at once)…",
    "channel_done": "**{layer} · channel {k}**: its picture drives the channel to a mean of {value:.2f}.",
    "channel_on_photo": "On your photo its mean is {mean:.2f} and its peak {peak:.2f}.",
    "channel_no_photo": "Explain a photo above to see where it fires on it.",
    "channel_share": "Its part of the logit of *{name}*: {share:+.3f}.",
    "channel_where_caption": "{layer} · channel {k}",
    "behind_wait": "Optimizing pictures for the {count} channels that add most to *{name}*: {seconds}…",
    "behind_done": "The {count} channels that add most to *{name}* give {total:+.2f} of its logit together.",
    "behind_picture": "ch {k} · {value:+.2f}: what it looks for",
    "behind_where": "ch {k}: where it adds to {name}",
    "empty_tab_channels": "{label} appears here when you press the button above it in this tab.",
    "empty_tab_trust": "{label} appears here when you press the button for it in this tab.",
    "empty_tab_whatif": "{label} appears here when you paint over part of the photo and press "
    f"“{STATIC['whatif_button']}”.",
    "empty_tab_live": "{label} appears here while the webcam streams: press the camera's record button.",
    "empty_tab_video": "{label} appears here after you upload or record a clip and press "
    f"“{STATIC['video_button']}”.",
    "empty_tab_learn": "{label} appears here once a photo is explained in the panel above.",
    "empty_tab_lab": "{label} appears here when you press the button of its section.",
    "empty_tab_teach": "{label} appears here after you train on your own classes.",
    "empty_occlusion_image": "The occlusion map appears here when you press the occlusion button below.",
    "empty_whatif_before": "The heatmap as it was appears here once a photo is explained in the panel above.",
    "a11y_position": "{i} of {n}",
    "a11y_example": "Example photo: {name}",
    "a11y_image": "Picture",
    "a11y_table": "Table",
    "a11y_result": "The result",
    "about_seconds": "≈ {seconds:.0f} s",
    "under_a_second": "< 1 s",
    "race_x": "epoch",
    "race_y": "training error",
    "timeline_x": "time (s)",
    "timeline_y": "probability",
    "weights_pretrained": "ResNet50 · {name} · top-1 {top1:.1f}%",
    "weights_custom": "ResNet50 · custom weights {hash} ({file})",
    "weights_random": "ResNet50 · random weights (seed {seed}) · UNTRAINED",
    "preset_edges": "edges",
    "preset_vertical_edges": "vertical edges",
    "preset_sharpen": "sharpen",
    "preset_blur": "blur",
    "tensor_shortcut": "shortcut(x)",
    "tensor_out": "relu(F(x) + shortcut(x))",
    "projection": "1×1 conv {c_in}→{c_out}, stride {stride}, then BatchNorm",
}

# Words Gradio writes into the page without a translation key: {its English: the page's words}.
GRADIO_WORDS: dict[str, str] = {}

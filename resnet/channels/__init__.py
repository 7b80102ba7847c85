"""What each channel looks for: feature visualization by optimization, receptive fields, the
top-activating crops of a folder, and the atlas that puts them together."""

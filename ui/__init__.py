"""The Gradio page over the ``resnet`` engine. Imports ``resnet``; ``resnet`` never imports this.

page.py         the Blocks: tabs in order, shared state, every event wired in one place
records.py      how a handler's named record becomes an event's outputs
explain_tab.py  the Explain page: one analysis per image, then class, method and display changes
live_tab.py     the live webcam
api.py          the public /explain endpoint
learn_tab.py    the Learn tab's measured table and the residual blocks' story
files.py        the served-file scratch space, and the upload component
text.py         every string, English and Simplified Chinese
"""

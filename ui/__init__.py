"""The Gradio page over the ``resnet`` engine. Imports ``resnet``; ``resnet`` never imports this.

page.py       composes the page: shared state, the Explain panel, the tab groups, cross-tab events
shared.py     what every tab shares: the page's state and how a tab wires its events
tabs/         one module per tab (and the Explain panel): layout, events and handlers
view.py       the analysed image every tab reads (View), and its heatmap picture
records.py    how a handler's named record becomes an event's outputs
api.py        the public /explain and /predict endpoints (and MCP tools)
classes.py    ImageNet's classes or a visitor's taught head, named in the page's language
files.py      the served-file scratch space, and the upload component
sessions.py   forgets the state of closed pages
notice.py     the page served while the weights download
accessibility.py  the theme's contrast, and names, sentences and roles Gradio's markup leaves out
text.py       the page's languages and the lookup of its texts
locales/      every text, one module per language, and ImageNet's class names in Chinese
"""

"""English renderings of the corpus: made offline, once per passage, checked, stored.

The Chinese original stays the quote; a rendering is shown under it as a machine translation
and searched by English questions. Nothing here writes an answer: it only translates.
"""

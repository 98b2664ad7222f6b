"""gptedit: edit images with GPT Image 2 Edit from Krita, GIMP and the command line."""

__version__ = "0.1.0"

"""Hiding the seam between an edited answer and the picture around it.

Edit models treat the mask as a hint: they shift, zoom, recolour, blur and add noise to the parts they were
asked to keep. Masked to the selection, such an answer shows a step at the selection's edge. This package
measures the drift on the part of the answer outside the selection and corrects it (`correct.py`):

- `reduce`: box-averaged small copies to estimate on;
- `align`: the answer's shift and zoom against what was sent, to a fraction of a pixel;
- `tone`: per-channel tone curves (256-entry tables) from the answer's colours to the original's;
- `sharpen`: the sharpness the answer lost, measured once it is in place and given back (unsharp mask);
- `feather`: the selection mask with a soft edge, so what is left fades instead of stepping.

Pure Python on bytes: no host module and no Pillow, so Krita, GIMP and the command line share it; each host
applies the transform with its own resampling."""

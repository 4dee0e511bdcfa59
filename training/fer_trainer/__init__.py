"""mini-Xception trainer for FER2013 (Arriaga et al., 2017)."""

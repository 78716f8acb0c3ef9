"""The Keras kind: layer plans, training, the compiled predictor, the NumPy forward pass,
augmentation and calibration."""

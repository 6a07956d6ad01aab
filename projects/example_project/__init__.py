"""The example project: the smallest backbone on mmcnn's contract."""

"""OverLoCK (CVPR 2025) on mmcnn's contract."""

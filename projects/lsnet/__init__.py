"""LSNet (CVPR 2025) as an mmcnn project."""

"""Version of the mmcnn package."""
__version__ = '0.1.0'

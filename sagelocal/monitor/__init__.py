"""sagelocal.monitor"""

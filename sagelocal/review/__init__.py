"""sagelocal.review"""

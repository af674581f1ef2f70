"""sagelocal.api"""

"""sagelocal.engine"""

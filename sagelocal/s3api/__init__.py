"""S3's operations over the same files the runtime uses (``settings.s3_root``): buckets, objects, multipart
uploads, listings, in S3's REST-XML shapes. :mod:`sagelocal.api.s3_routes` receives and routes the requests."""

"""Product photos: upload, re-encoding without metadata, storage in a folder or an S3 bucket."""

# Ferry's bucket: files expire 1 day after upload, incomplete multipart uploads are aborted after
# 1 day, public access blocked, SSE-S3 (AES256) by default, requests without TLS denied, no CORS.
# The same bucket `npm run infra -- apply` configures; test/infra/iac-drift.test.ts keeps this
# file equal to infra/bucket-spec.ts.
#
#   module "ferry_bucket" {
#     source      = "./infra/terraform"
#     bucket_name = "my-ferry-files"
#   }

terraform {
  required_version = ">= 1.3"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 4.9"
    }
  }
}

resource "aws_s3_bucket" "ferry" {
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_lifecycle_configuration" "ferry" {
  bucket = aws_s3_bucket.ferry.id

  rule {
    id     = "ferry-expire-after-one-day"
    status = "Enabled"

    filter {
      prefix = var.prefix
    }

    expiration {
      days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_public_access_block" "ferry" {
  bucket = aws_s3_bucket.ferry.id

  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "ferry" {
  bucket = aws_s3_bucket.ferry.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid     = "FerryDenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.ferry.arn,
      "${aws_s3_bucket.ferry.arn}/*",
    ]

    # type "*" with identifiers ["*"] renders as "Principal": "*".
    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "ferry" {
  bucket = aws_s3_bucket.ferry.id
  policy = data.aws_iam_policy_document.tls_only.json

  # S3 checks a new policy against the bucket's public access block; set that first.
  depends_on = [aws_s3_bucket_public_access_block.ferry]
}

# Browsers on the apps' pages PUT upload parts straight to the bucket through presigned URLs
# (docs/uploads.md): PUT only, and ETag exposed, without which a page cannot read a part's ETag.
# No origins, no CORS configuration.
resource "aws_s3_bucket_cors_configuration" "ferry" {
  count  = length(var.cors_origins) > 0 ? 1 : 0
  bucket = aws_s3_bucket.ferry.id

  cors_rule {
    id              = "ferry-upload-parts"
    allowed_origins = var.cors_origins
    allowed_methods = ["PUT"]
    allowed_headers = ["content-type"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3600
  }
}

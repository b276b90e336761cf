output "bucket_name" {
  description = "S3_BUCKET for Ferry."
  value       = aws_s3_bucket.ferry.id
}

output "bucket_arn" {
  description = "ARN for the IAM policy of Ferry's credentials."
  value       = aws_s3_bucket.ferry.arn
}

variable "bucket_name" {
  description = "Name of the bucket to create (S3_BUCKET in Ferry's configuration)."
  type        = string
}

variable "prefix" {
  description = "Key prefix Ferry stores objects under (S3_PREFIX); empty for the whole bucket."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([A-Za-z0-9._-]+/)*$", var.prefix))
    error_message = "The prefix must be empty or path segments each ending in \"/\", like \"ferry/\"."
  }
}

variable "cors_origins" {
  description = "The origins of the apps' pages (the \"origins\" in FERRY_APPS): browsers there upload parts straight to the bucket. Empty for no CORS."
  type        = list(string)
  default     = []
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket while it still holds (encrypted, at most a day old) objects."
  type        = bool
  default     = false
}

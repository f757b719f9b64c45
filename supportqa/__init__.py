"""SupportQA: quality assurance and performance appraisal for customer-service teams."""

__version__ = "0.1.0"

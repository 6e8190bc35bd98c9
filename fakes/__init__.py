"""Local HTTP fakes of external services, answering with the services' real payload shapes."""

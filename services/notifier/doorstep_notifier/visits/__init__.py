"""Visit notices: the customer is told of each planned field visit, and of its cancellation."""

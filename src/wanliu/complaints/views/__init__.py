"""Agent workspace pages (queues, search, the order with the customer 360 beside it) and
the public survey page. Views parse, fetch in scope, call one service, render."""

package convirza

// WebhooksService manages webhooks. Admin only.
type WebhooksService struct{ c *Client }

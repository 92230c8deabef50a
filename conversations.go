package convirza

// CallsService reads calls.
type CallsService struct{ c *Client }

// SMSService reads SMS conversations.
type SMSService struct{ c *Client }

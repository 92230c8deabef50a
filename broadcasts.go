package convirza

// BroadcastsService manages SMS broadcasts.
type BroadcastsService struct{ c *Client }

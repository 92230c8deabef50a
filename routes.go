package convirza

// RoutesService manages provisioned routes.
type RoutesService struct{ c *Client }

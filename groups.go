package convirza

// GroupsService manages groups (org units). Admin only.
type GroupsService struct{ c *Client }

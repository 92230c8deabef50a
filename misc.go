package convirza

// TagsService manages tags.
type TagsService struct{ c *Client }

// AdSourcesService lists ad sources.
type AdSourcesService struct{ c *Client }

// IndustriesService lists industries.
type IndustriesService struct{ c *Client }

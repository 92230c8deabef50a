package convirza

// PromptsService lists, uploads and deletes media prompts.
type PromptsService struct{ c *Client }

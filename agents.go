package convirza

// AIVoiceAgentsService manages AI voice agents.
type AIVoiceAgentsService struct{ c *Client }

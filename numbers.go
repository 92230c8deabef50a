package convirza

// PhoneNumbersService searches, reserves and releases phone numbers.
type PhoneNumbersService struct{ c *Client }

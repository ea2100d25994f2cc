package api

// PageQuery is the query string shared by every cursor-paginated list.
type PageQuery struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"page size (1–100)"`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page; omit for the first (newest) page"`
}

export type MetaType =
  | 'active' // Active
  | 'inactive' // Inactive
  | 'in-person' // In-person
  | 'online' // Online
  | 'SPD'; // Speaker/Discussion

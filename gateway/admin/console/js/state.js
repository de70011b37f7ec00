// What the console knows across views: the token, who signed in, cached tables, the view in
// front (bumped on every navigation so stale async work does not draw).
export const TOKEN_KEY = 'dcgw.token';

export const state = {
  token: null,
  me: null,
  filterKeys: null,
  methods: null, // GET /api/v1/methods: the forwarding methods table
  pollTimer: null,
  viewSeq: 0, // bumped on every navigation so stale async work does not draw
};

export const isAdmin = () => state.me && state.me.role === 'admin';
// Only for the admin role: auditors never get these controls in the page at all.
export const adminOnly = (fn) => (isAdmin() ? fn() : null);

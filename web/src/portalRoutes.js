// The pages of the graduate and employer portals and the rule that keeps every kind of user on
// its own pages: staff (school and department users) in the console, graduates and employers in
// their portals. This file imports no API code, because api.js imports the router.
export const GRADUATE_KIND = 'PRINCIPAL_KIND_GRADUATE'
export const EMPLOYER_KIND = 'PRINCIPAL_KIND_EMPLOYER'
const STAFF_KINDS = ['PRINCIPAL_KIND_SCHOOL', 'PRINCIPAL_KIND_DEPARTMENT']

export const UNSUPPORTED_ACCOUNT_MESSAGE =
  '本平台网页端供学校和院系用户、毕业生、用人单位使用。省级用户和平台运维账号请使用各自的管理端。'

export const portalRoutes = [
  {
    path: '/activate',
    name: 'graduateActivate',
    component: () => import('./views/portal/GraduateActivateView.vue'),
    meta: { public: true },
  },
  {
    path: '/employer-registration',
    name: 'employerRegister',
    component: () => import('./views/portal/EmployerRegisterView.vue'),
    meta: { public: true },
  },
  {
    path: '/graduate',
    name: 'graduatePortal',
    component: () => import('./views/portal/GraduatePortalView.vue'),
    meta: { portal: 'graduate' },
  },
  {
    path: '/employer',
    name: 'employerPortal',
    component: () => import('./views/portal/EmployerPortalView.vue'),
    meta: { portal: 'employer' },
  },
]

// 'staff', 'graduate', 'employer', or '' for kinds without pages here (province, operator).
export function userAudience(user) {
  if (!user) return ''
  if (STAFF_KINDS.includes(user.kind)) return 'staff'
  if (user.kind === GRADUATE_KIND) return 'graduate'
  if (user.kind === EMPLOYER_KIND) return 'employer'
  return ''
}

// The page a signed-in user starts on, or null for kinds without pages here.
export function homeRouteFor(user) {
  const home = { staff: 'modules', graduate: 'graduatePortal', employer: 'employerPortal' }[userAudience(user)]
  return home ? { name: home } : null
}

// Returns where to send `user` instead of the non-public route `to`, or null when the route is
// theirs. Console routes carry no meta.portal and belong to staff.
export function audienceRedirect(to, user) {
  const record = [...to.matched].reverse().find((matched) => matched.meta.portal)
  const audience = record ? record.meta.portal : 'staff'
  if (audience === userAudience(user)) return null
  return homeRouteFor(user) || { name: 'login', query: { unsupported: '1' } }
}

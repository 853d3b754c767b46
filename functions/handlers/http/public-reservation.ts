/** The contract's reservation shape: the owner's id stays inside the service. */
export function publicReservation<R extends { userId: string }>({
  userId: _owner,
  ...rest
}: R): Omit<R, 'userId'> {
  return rest;
}

// spoold: the agent (see README "spoold").
int main() { return 0; }
